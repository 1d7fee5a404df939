/**
 * The TLS 1.3 key schedule (RFC 8446 section 7.1), without PSKs beyond the early-secret input:
 *
 *     early     = HKDF-Extract(0, PSK or 0)
 *     handshake = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE)
 *       c/s hs traffic = Derive-Secret(handshake, "c hs traffic" / "s hs traffic", CH..SH)
 *     master    = HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0)
 *       c/s ap traffic, exp master = Derive-Secret(master, ..., CH..server Finished)
 *       res master = Derive-Secret(master, "res master", CH..client Finished)
 *
 * Each step is a pure function of its inputs so that tests check every value of the RFC 8448 trace.
 * Secrets are plain byte arrays; callers must not log them (DESIGN.md: TLS keys never leave).
 */
import { hmac } from './hmac.ts';
import { hashLength } from './cipher-suites.ts';
import type { CipherSuiteInfo, HashName } from './cipher-suites.ts';
import { deriveSecret, emptyHash, hkdfExpandLabel, hkdfExtract } from './hkdf.ts';

/** Early Secret = HKDF-Extract(0, PSK), with Hash.length zeros when there is no PSK (section 7.1). */
export function earlySecret(hash: HashName, psk?: Uint8Array): Uint8Array {
  return hkdfExtract(hash, new Uint8Array(hashLength(hash)), psk ?? new Uint8Array(hashLength(hash)));
}

/** Derive-Secret(secret, "derived", ""): the salt of the next extract (section 7.1). */
export function derivedSalt(hash: HashName, secret: Uint8Array): Uint8Array {
  return deriveSecret(hash, secret, 'derived', emptyHash(hash));
}

/** Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), shared (EC)DHE secret). */
export function handshakeSecret(hash: HashName, early: Uint8Array, sharedSecret: Uint8Array): Uint8Array {
  return hkdfExtract(hash, derivedSalt(hash, early), sharedSecret);
}

/** Master Secret = HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0). */
export function masterSecret(hash: HashName, handshake: Uint8Array): Uint8Array {
  return hkdfExtract(hash, derivedSalt(hash, handshake), new Uint8Array(hashLength(hash)));
}

/** A client/server pair of traffic secrets. */
export interface TrafficSecrets {
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

/** client/server_handshake_traffic_secret from the transcript hash of ClientHello..ServerHello. */
export function handshakeTrafficSecrets(hash: HashName, handshake: Uint8Array, helloHash: Uint8Array): TrafficSecrets {
  return {
    client: deriveSecret(hash, handshake, 'c hs traffic', helloHash),
    server: deriveSecret(hash, handshake, 's hs traffic', helloHash),
  };
}

/** Application traffic secrets 0 and the exporter master secret, from the hash of ClientHello..server Finished. */
export interface ApplicationSecrets extends TrafficSecrets {
  readonly exporter: Uint8Array;
}

/** client/server_application_traffic_secret_0 and exporter_master_secret (section 7.1). */
export function applicationSecrets(hash: HashName, master: Uint8Array, serverFinishedHash: Uint8Array): ApplicationSecrets {
  return {
    client: deriveSecret(hash, master, 'c ap traffic', serverFinishedHash),
    server: deriveSecret(hash, master, 's ap traffic', serverFinishedHash),
    exporter: deriveSecret(hash, master, 'exp master', serverFinishedHash),
  };
}

/** resumption_master_secret from the hash of ClientHello..client Finished (section 7.1). */
export function resumptionMasterSecret(hash: HashName, master: Uint8Array, clientFinishedHash: Uint8Array): Uint8Array {
  return deriveSecret(hash, master, 'res master', clientFinishedHash);
}

/** The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (section 4.6.1). */
export function resumptionPsk(hash: HashName, resumptionMaster: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, resumptionMaster, 'resumption', ticketNonce, hashLength(hash));
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (section 4.4.4). */
export function finishedKey(hash: HashName, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, baseKey, 'finished', new Uint8Array(0), hashLength(hash));
}

/**
 * verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*))
 * (section 4.4.4). `baseKey` is the sender's handshake traffic secret.
 */
export function finishedVerifyData(hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmac(hash, finishedKey(hash, baseKey), transcriptHash);
}

/** The TLS record key and IV of a traffic secret (section 7.3); QUIC derives its own with "quic" labels. */
export function trafficKeyAndIv(suite: CipherSuiteInfo, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', new Uint8Array(0), suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', new Uint8Array(0), suite.ivLength),
  };
}
