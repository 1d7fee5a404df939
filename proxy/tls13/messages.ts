/**
 * EncryptedExtensions, Certificate, CertificateVerify and Finished codecs (RFC 8446 sections 4.3.1,
 * 4.4.2, 4.4.3, 4.4.4). Decoders take whole messages and never throw on input.
 */
import { buildMessage, bodyReader, finishDecode } from './message-header.ts';
import { extensionReader, readAlpn, readExtensions, readU16List, writeExtensions } from './extensions.ts';
import { EXTENSION_TYPE, HANDSHAKE_TYPE } from './tls13.types.ts';
import type {
  Certificate,
  CertificateEntry,
  CertificateVerify,
  EncryptedExtensions,
  EncryptedExtensionsExt,
  Finished,
  RawExtension,
  TlsResult,
} from './tls13.types.ts';

/**
 * Decodes EncryptedExtensions. Its ALPN must name exactly one protocol (RFC 7301 section 3.1) and its
 * server_name and early_data must be empty; otherwise decode_error / illegal_parameter.
 */
export function decodeEncryptedExtensions(message: Uint8Array): TlsResult<EncryptedExtensions> {
  const head = bodyReader(message, HANDSHAKE_TYPE.encrypted_extensions, 'EncryptedExtensions');
  if (!head.ok) return head;
  const r = head.value;
  const list = readExtensions(r, 'encrypted_extensions');
  const ext: { -readonly [K in keyof EncryptedExtensionsExt]: EncryptedExtensionsExt[K] } = {};
  for (const e of list) {
    if (r.failed) break;
    const x = extensionReader(e);
    switch (e.type) {
      case EXTENSION_TYPE.server_name:
        ext.serverNameAck = true;
        break;
      case EXTENSION_TYPE.early_data:
        ext.earlyData = true;
        break;
      case EXTENSION_TYPE.supported_groups:
        ext.supportedGroups = readU16List(x, 2, 'supported_groups', 2, 0xffff);
        break;
      case EXTENSION_TYPE.application_layer_protocol_negotiation: {
        const at = x.pos;
        const names = readAlpn(x);
        if (!x.failed && names.length !== 1) x.fail('illegal_parameter', `ALPN selects ${names.length} protocols, must be one`, at);
        ext.alpn = names[0];
        break;
      }
      case EXTENSION_TYPE.quic_transport_parameters:
        ext.quicTransportParameters = x.bytes(x.remaining, 'quic_transport_parameters');
        break;
      default:
        continue;
    }
    x.expectEnd(`extension ${e.type}`);
    r.absorb(x);
  }
  return finishDecode(r, 'EncryptedExtensions', () => ({ extensions: list.map(({ type, data }) => ({ type, data })), ext }));
}

/** Encodes EncryptedExtensions with `extensions` in order. */
export function encodeEncryptedExtensions(extensions: readonly RawExtension[]): Uint8Array {
  return buildMessage(HANDSHAKE_TYPE.encrypted_extensions, (w) => writeExtensions(w, extensions));
}

/**
 * Decodes Certificate (X.509 entries, section 4.4.2): certificate_request_context<0..255>,
 * certificate_list<0..2^24-1> of { cert_data<1..2^24-1>, extensions<0..2^16-1> }. Certificates are
 * not parsed here; an empty list is syntactically valid (the caller answers decode_error or
 * certificate_required depending on its role, section 4.4.2.4).
 */
export function decodeCertificate(message: Uint8Array): TlsResult<Certificate> {
  const head = bodyReader(message, HANDSHAKE_TYPE.certificate, 'Certificate');
  if (!head.ok) return head;
  const r = head.value;
  const requestContext = r.vectorBytes(1, 'certificate_request_context', 0, 255);
  const list = r.vector(3, 'certificate_list');
  const entries: CertificateEntry[] = [];
  while (!list.failed && list.remaining > 0) {
    const certData = list.vectorBytes(3, 'cert_data', 1, 0xffffff);
    const extensions = readExtensions(list, 'certificate');
    if (!list.failed) entries.push({ certData, extensions: extensions.map(({ type, data }) => ({ type, data })) });
  }
  r.absorb(list);
  return finishDecode(r, 'Certificate', () => ({ requestContext, entries }));
}

/** Encodes Certificate; the server's has an empty request context (section 4.4.2). */
export function encodeCertificate(cert: { readonly requestContext?: Uint8Array; readonly entries: readonly CertificateEntry[] }): Uint8Array {
  return buildMessage(HANDSHAKE_TYPE.certificate, (w) => {
    w.vector(1, cert.requestContext ?? new Uint8Array(0));
    w.begin(3);
    for (const e of cert.entries) {
      w.vector(3, e.certData);
      writeExtensions(w, e.extensions);
    }
    w.end();
  });
}

/** Decodes CertificateVerify: SignatureScheme algorithm; opaque signature<0..2^16-1> (section 4.4.3). */
export function decodeCertificateVerify(message: Uint8Array): TlsResult<CertificateVerify> {
  const head = bodyReader(message, HANDSHAKE_TYPE.certificate_verify, 'CertificateVerify');
  if (!head.ok) return head;
  const r = head.value;
  const scheme = r.uint(2, 'algorithm');
  const signature = r.vectorBytes(2, 'signature');
  return finishDecode(r, 'CertificateVerify', () => ({ scheme, signature }));
}

/** Encodes CertificateVerify. */
export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return buildMessage(HANDSHAKE_TYPE.certificate_verify, (w) => w.uint(2, cv.scheme).vector(2, cv.signature));
}

/**
 * Decodes Finished, whose body is verify_data of Hash.length bytes (section 4.4.4); another length
 * is decode_error. Checking the value is the caller's (constant-time, decrypt_error on mismatch).
 */
export function decodeFinished(message: Uint8Array, hashLength: number): TlsResult<Finished> {
  const head = bodyReader(message, HANDSHAKE_TYPE.finished, 'Finished');
  if (!head.ok) return head;
  const r = head.value;
  if (r.remaining !== hashLength) r.fail('decode_error', `verify_data of ${r.remaining} bytes, expected ${hashLength}`);
  const verifyData = r.bytes(hashLength, 'verify_data');
  return finishDecode(r, 'Finished', () => ({ verifyData }));
}

/** Encodes Finished. */
export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return buildMessage(HANDSHAKE_TYPE.finished, (w) => w.bytes(verifyData));
}
