/**
 * RFC 8448 section 3 "Simple 1-RTT Handshake": every value the key schedule and message tests use,
 * copied from /work/shared/rfcs/rfc8448-draft-tls13-vectors.txt (hex as printed there, re-wrapped
 * 16 octets a line). Each entry names the trace step it comes from; `octets` is the length the RFC
 * prints, checked by the tests so a truncated copy fails.
 */

/** One traced value: hex text and the octet count the RFC states. */
export interface TraceValue {
  readonly hex: string;
  readonly octets: number;
}

export const RFC8448_1RTT = {
  /** x25519 private key of the client. Step "{client} create an ephemeral x25519 key pair", field "private key". */
  clientPrivate: {
    octets: 32,
    hex:
      '70 a1 a8 f4 91 e8 2d 53 05 42 c6 d7 a8 dc d8 cf ' +
      'a9 e3 1f 59 bb 33 6b 55 0b 13 bf e1 99 f5 42 c5',
  },
  /** x25519 public key of the client. Step "{client} create an ephemeral x25519 key pair", field "public key". */
  clientPublic: {
    octets: 32,
    hex:
      '4c fd fc d1 78 b7 84 bf 32 8c ae 79 3b 13 6f 2a ' +
      'ed ce 00 5f f1 83 d7 bb 14 95 20 72 36 64 70 37',
  },
  /** ClientHello handshake message. Step "{client} construct a ClientHello handshake message", field "ClientHello". */
  clientHello: {
    octets: 196,
    hex:
      '01 00 00 c0 03 03 66 60 26 1f f9 47 ce a4 9c ce ' +
      '6c fa d6 87 f4 57 cf 1b 14 53 1b a1 41 31 a0 e8 ' +
      'f3 09 a1 d0 b9 c4 00 00 06 13 01 13 03 13 02 01 ' +
      '00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76 ' +
      '65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 ' +
      '17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 ' +
      '23 00 00 00 33 00 26 00 24 00 1d 00 20 4c fd fc ' +
      'd1 78 b7 84 bf 32 8c ae 79 3b 13 6f 2a ed ce 00 ' +
      '5f f1 83 d7 bb 14 95 20 72 36 64 70 37 00 2b 00 ' +
      '03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 ' +
      '02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 ' +
      '04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c ' +
      '00 02 40 01',
  },
  /** early secret (no PSK). Step "{server} extract secret "early"", field "secret". */
  earlySecret: {
    octets: 32,
    hex:
      '33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 ' +
      '10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a',
  },
  /** x25519 private key of the server. Step "{server} create an ephemeral x25519 key pair", field "private key". */
  serverPrivate: {
    octets: 32,
    hex:
      '5a a9 3e a1 8f 4c 5e 4a 39 85 6f 57 3a f4 ec 15 ' +
      '03 ba d0 d5 cd ab af fc 26 c1 ab 4c 36 1f 86 c8',
  },
  /** x25519 public key of the server. Step "{server} create an ephemeral x25519 key pair", field "public key". */
  serverPublic: {
    octets: 32,
    hex:
      'c7 bb 6b df c2 63 50 b9 29 a0 8a 41 a7 6d da c2 ' +
      '10 b0 96 86 8d 96 0c 48 45 98 7d c3 a7 fa 65 0a',
  },
  /** ServerHello handshake message. Step "{server} construct a ServerHello handshake message", field "ServerHello". */
  serverHello: {
    octets: 90,
    hex:
      '02 00 00 56 03 03 12 74 99 14 95 cf 42 58 57 26 ' +
      '2d de 22 99 34 2c 31 5a fb a9 b6 4a 87 d5 52 51 ' +
      '56 14 e0 1b 04 5d 00 13 01 00 00 2e 00 33 00 24 ' +
      '00 1d 00 20 c7 bb 6b df c2 63 50 b9 29 a0 8a 41 ' +
      'a7 6d da c2 10 b0 96 86 8d 96 0c 48 45 98 7d c3 ' +
      'a7 fa 65 0a 00 2b 00 02 03 04',
  },
  /** SHA-256 of the empty string. Step "{server} derive secret for handshake "tls13 derived"", field "hash". */
  emptyHash: {
    octets: 32,
    hex:
      'e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 ' +
      '27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55',
  },
  /** HkdfLabel of Derive-Secret(., "derived", ""). Step "{server} derive secret for handshake "tls13 derived"", field "info". */
  derivedInfo: {
    octets: 49,
    hex:
      '00 20 0d 74 6c 73 31 33 20 64 65 72 69 76 65 64 ' +
      '20 e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 ' +
      '24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 ' +
      '55',
  },
  /** Derive-Secret(early, "derived", ""). Step "{server} derive secret for handshake "tls13 derived"", field "expanded". */
  derivedForHandshake: {
    octets: 32,
    hex:
      '6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 ' +
      '16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba',
  },
  /** x25519 shared secret (IKM of the handshake secret). Step "{server} extract secret "handshake"", field "IKM". */
  ecdheSecret: {
    octets: 32,
    hex:
      '1b ea 3f df d2 5f 94 03 38 04 b6 89 97 a5 5d 19 ' +
      '31 dc 51 12 4a d7 f6 e2 89 59 bb 46 72 e3 bd 13',
  },
  /** handshake secret. Step "{server} extract secret "handshake"", field "secret". */
  handshakeSecret: {
    octets: 32,
    hex:
      'f2 c6 6e 28 ed 53 5d fb 87 21 b7 14 5c a5 1c 8b ' +
      'c0 58 51 4f 79 aa 88 1d 0d 32 cb e1 34 1a 2e 45',
  },
  /** Transcript-Hash(ClientHello..ServerHello). Step "{server} derive secret "tls13 c hs traffic"", field "hash". */
  transcriptHelloHash: {
    octets: 32,
    hex:
      '3d 35 f3 eb a0 aa bf 5d 96 61 23 6e 3b 5b b9 38 ' +
      'fd c3 2f 40 9c c2 7c 55 49 9e 1f 0b aa 3a bd 8f',
  },
  /** HkdfLabel of "c hs traffic". Step "{server} derive secret "tls13 c hs traffic"", field "info". */
  clientHsTrafficInfo: {
    octets: 54,
    hex:
      '00 20 12 74 6c 73 31 33 20 63 20 68 73 20 74 72 ' +
      '61 66 66 69 63 20 3d 35 f3 eb a0 aa bf 5d 96 61 ' +
      '23 6e 3b 5b b9 38 fd c3 2f 40 9c c2 7c 55 49 9e ' +
      '1f 0b aa 3a bd 8f',
  },
  /** client_handshake_traffic_secret. Step "{server} derive secret "tls13 c hs traffic"", field "expanded". */
  clientHsTraffic: {
    octets: 32,
    hex:
      'd7 c2 8b 57 a8 57 e9 61 b5 bf 3e 1d 7b 18 d0 27 ' +
      '57 c4 f9 7a cb 66 a2 33 72 e5 a7 f3 d0 a7 1e 07',
  },
  /** server_handshake_traffic_secret. Step "{server} derive secret "tls13 s hs traffic"", field "expanded". */
  serverHsTraffic: {
    octets: 32,
    hex:
      '30 31 e9 c2 c2 6e cc 15 4b c3 68 26 e8 7f ee ff ' +
      '8f 45 47 df 52 59 67 47 b2 dc ab f9 2b 18 fb 59',
  },
  /** Derive-Secret(handshake, "derived", ""). Step "{server} derive secret for master "tls13 derived"", field "expanded". */
  derivedForMaster: {
    octets: 32,
    hex:
      '6a ac 27 6f 77 17 7e 73 7a 1f e9 1d cf 0d 2e c9 ' +
      'cb 4f ce ad 86 90 70 3a 15 34 8b 5e 52 20 ca fa',
  },
  /** master secret. Step "{server} extract secret "master"", field "secret". */
  masterSecret: {
    octets: 32,
    hex:
      'a1 29 70 d9 b2 7a 3d 59 b6 ec c1 53 0d 28 40 73 ' +
      'bd 74 5d dc 68 d9 94 e7 a6 ee 70 88 1b 3d 6d a6',
  },
  /** server handshake write key. Step "{server} derive write traffic keys for handshake data", field "key expanded". */
  serverHsKey: { octets: 16, hex: '4d 15 c0 0e 47 31 7f e9 9c 71 4f 8e bd 92 c4 d1' },
  /** server handshake write iv. Step "{server} derive write traffic keys for handshake data", field "iv expanded". */
  serverHsIv: { octets: 12, hex: '18 22 30 84 73 5f 2f 2d 85 88 ca aa' },
  /** HkdfLabel of "key", length 16. Step "{server} derive write traffic keys for handshake data", field "key info". */
  keyInfo: { octets: 13, hex: '00 10 09 74 6c 73 31 33 20 6b 65 79 00' },
  /** HkdfLabel of "iv", length 12. Step "{server} derive write traffic keys for handshake data", field "iv info". */
  ivInfo: { octets: 12, hex: '00 0c 08 74 6c 73 31 33 20 69 76 00' },
  /** EncryptedExtensions handshake message. Step "{server} construct a EncryptedExtensions handshake message", field "EncryptedExtensions". */
  encryptedExtensions: {
    octets: 40,
    hex:
      '08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 ' +
      '00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c ' +
      '00 02 40 01 00 00 00 00',
  },
  /** Certificate handshake message. Step "{server} construct a Certificate handshake message", field "Certificate". */
  certificate: {
    octets: 445,
    hex:
      '0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30 ' +
      '82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a ' +
      '86 48 86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a ' +
      '06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36 ' +
      '30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30 ' +
      '37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a ' +
      '06 03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06 ' +
      '09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00 ' +
      '30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30 3d 98 ' +
      '08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26 ' +
      'd3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a ' +
      '95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12 ' +
      '09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b ' +
      '63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80 ' +
      '30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 ' +
      '3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a ' +
      '8d 88 d7 9f 7f 1e 3f 02 03 01 00 01 a3 1a 30 18 ' +
      '30 09 06 03 55 1d 13 04 02 30 00 30 0b 06 03 55 ' +
      '1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 ' +
      'f7 0d 01 01 0b 05 00 03 81 81 00 85 aa d2 a0 e5 ' +
      'b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f ' +
      '8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5 ' +
      '8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a ' +
      '03 01 51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02 ' +
      '70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e ' +
      'b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0 ' +
      'a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 ' +
      'f8 96 12 29 ac 91 87 b4 2b 4d e1 00 00',
  },
  /** CertificateVerify handshake message (rsa_pss_rsae_sha256). Step "{server} construct a CertificateVerify handshake message", field "CertificateVerify". */
  certificateVerify: {
    octets: 136,
    hex:
      '0f 00 00 84 08 04 00 80 ac e0 af 8e 87 d7 c6 3c ' +
      'c9 db e7 dc c1 2f f8 3b d5 5d f0 cc da 9b f4 e5 ' +
      'a0 f7 01 00 d9 bc 4d 25 aa 68 4f d9 d3 47 64 2c ' +
      '94 22 22 52 6e 16 3e 3b 0f ba 31 2b 10 e9 b6 7e ' +
      'b0 ac 9c 2b e5 fe f4 90 f8 1d 78 27 e3 bc 12 fa ' +
      '02 7a b4 39 e7 1c c8 45 9c 14 b9 4a 8f 35 06 ec ' +
      '44 54 7d 6c 23 e1 9c c7 f9 d5 e0 d1 f5 95 10 8f ' +
      'c2 40 f5 b0 84 2c 48 5a 32 14 87 c4 95 03 77 a5 ' +
      '2e 91 72 94 71 55 67 cd',
  },
  /** HkdfLabel of "finished". Step "{server} calculate finished "tls13 finished"", field "info". */
  finishedInfo: {
    octets: 18,
    hex:
      '00 20 0e 74 6c 73 31 33 20 66 69 6e 69 73 68 65 ' +
      '64 00',
  },
  /** server finished_key. Step "{server} calculate finished "tls13 finished"", field "expanded". */
  serverFinishedKey: {
    octets: 32,
    hex:
      '24 56 e4 d4 c3 cc 52 6c ad 20 c0 11 32 72 77 e2 ' +
      'b8 83 4d f5 14 fa 50 db 92 11 01 29 3c c6 27 a8',
  },
  /** server Finished verify_data. Step "{server} calculate finished "tls13 finished"", field "finished". */
  serverVerifyData: {
    octets: 32,
    hex:
      '4c 92 b1 b2 56 d8 61 a1 83 01 67 82 7d 3e 28 8d ' +
      '1a 76 f0 34 84 e9 ec 88 6d 4f f6 61 49 cb ec 2f',
  },
  /** server Finished handshake message. Step "{server} construct a Finished handshake message", field "Finished". */
  serverFinished: {
    octets: 36,
    hex:
      '14 00 00 20 4c 92 b1 b2 56 d8 61 a1 83 01 67 82 ' +
      '7d 3e 28 8d 1a 76 f0 34 84 e9 ec 88 6d 4f f6 61 ' +
      '49 cb ec 2f',
  },
  /** EncryptedExtensions..Finished as sent (payload of the second server record). Step "{server} send handshake record", field "payload". */
  serverFlight: {
    octets: 657,
    hex:
      '08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 ' +
      '00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c ' +
      '00 02 40 01 00 00 00 00 0b 00 01 b9 00 00 01 b5 ' +
      '00 01 b0 30 82 01 ac 30 82 01 15 a0 03 02 01 02 ' +
      '02 01 02 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b ' +
      '05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 ' +
      '73 61 30 1e 17 0d 31 36 30 37 33 30 30 31 32 33 ' +
      '35 39 5a 17 0d 32 36 30 37 33 30 30 31 32 33 35 ' +
      '39 5a 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 ' +
      '73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7 0d 01 ' +
      '01 01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 ' +
      'bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c ' +
      '0c 68 de 55 e1 bd b8 26 d3 90 1a 24 61 ea fd 2d ' +
      'e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1 9e ' +
      'aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc ' +
      'b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 ' +
      '2a 5f da 43 08 46 74 80 30 53 0e f0 46 1c 8c a9 ' +
      'd9 ef bf ae 8e a6 d1 d0 3e 2b d1 93 ef f0 ab 9a ' +
      '80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02 ' +
      '03 01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 ' +
      '02 30 00 30 0b 06 03 55 1d 0f 04 04 03 02 05 a0 ' +
      '30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00 03 ' +
      '81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a ' +
      '72 67 17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 ' +
      '36 54 17 f2 ea e8 f8 a5 8c 8f 81 72 f9 31 9c f3 ' +
      '6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72 60 96 fd ' +
      '33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be c1 ' +
      'fc 63 a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb ' +
      '2b d5 20 3b 1c 3b 84 e0 a8 b2 f7 59 40 9b a3 ea ' +
      'c9 d9 1d 40 2d cc 0c c8 f8 96 12 29 ac 91 87 b4 ' +
      '2b 4d e1 00 00 0f 00 00 84 08 04 00 80 ac e0 af ' +
      '8e 87 d7 c6 3c c9 db e7 dc c1 2f f8 3b d5 5d f0 ' +
      'cc da 9b f4 e5 a0 f7 01 00 d9 bc 4d 25 aa 68 4f ' +
      'd9 d3 47 64 2c 94 22 22 52 6e 16 3e 3b 0f ba 31 ' +
      '2b 10 e9 b6 7e b0 ac 9c 2b e5 fe f4 90 f8 1d 78 ' +
      '27 e3 bc 12 fa 02 7a b4 39 e7 1c c8 45 9c 14 b9 ' +
      '4a 8f 35 06 ec 44 54 7d 6c 23 e1 9c c7 f9 d5 e0 ' +
      'd1 f5 95 10 8f c2 40 f5 b0 84 2c 48 5a 32 14 87 ' +
      'c4 95 03 77 a5 2e 91 72 94 71 55 67 cd 14 00 00 ' +
      '20 4c 92 b1 b2 56 d8 61 a1 83 01 67 82 7d 3e 28 ' +
      '8d 1a 76 f0 34 84 e9 ec 88 6d 4f f6 61 49 cb ec ' +
      '2f',
  },
  /** Transcript-Hash(ClientHello..server Finished). Step "{server} derive secret "tls13 c ap traffic"", field "hash". */
  transcriptServerFinishedHash: {
    octets: 32,
    hex:
      'b2 85 e2 e2 be b2 8a df 85 ce 08 11 2f 7c 48 04 ' +
      'cb 52 34 7a 25 8e df a9 c1 bf 31 f7 f8 08 e8 ce',
  },
  /** client_application_traffic_secret_0. Step "{server} derive secret "tls13 c ap traffic"", field "expanded". */
  clientApTraffic: {
    octets: 32,
    hex:
      '2d ca 43 b0 ae 13 af 89 e9 53 3d 39 b6 5d d2 5c ' +
      'c2 2d f9 e7 af ca f0 82 a7 68 95 a4 da 35 3b 50',
  },
  /** server_application_traffic_secret_0. Step "{server} derive secret "tls13 s ap traffic"", field "expanded". */
  serverApTraffic: {
    octets: 32,
    hex:
      '49 03 3f f3 03 ee f5 73 9d 13 76 cb 6d 27 eb d6 ' +
      '95 73 3f 3c 3f 61 7e 7f c7 6d 02 a6 fa c6 27 7f',
  },
  /** exporter_master_secret. Step "{server} derive secret "tls13 exp master"", field "expanded". */
  exporterMaster: {
    octets: 32,
    hex:
      '31 9b 2e 43 3f 18 9f c5 a1 d8 1e a3 69 e3 af 83 ' +
      '8c be cb 0d b8 ff fd 5b 9a b2 05 af cd b9 99 d9',
  },
  /** server application write key. Step "{server} derive write traffic keys for application data", field "key expanded". */
  serverApKey: { octets: 16, hex: 'bb e6 b3 fc 9c 06 8c 6f b3 31 ec a8 aa 91 9b fd' },
  /** server application write iv. Step "{server} derive write traffic keys for application data", field "iv expanded". */
  serverApIv: { octets: 12, hex: '80 57 dc 46 84 68 21 a1 be a3 06 e0' },
  /** client handshake write key. Step "{server} derive read traffic keys for handshake data", field "key expanded". */
  clientHsKey: { octets: 16, hex: '94 7f e4 1b 60 fa 1b cf 94 2d 45 62 68 47 6e 8d' },
  /** client handshake write iv. Step "{server} derive read traffic keys for handshake data", field "iv expanded". */
  clientHsIv: { octets: 12, hex: '96 2d f1 fc 72 0f 95 74 f7 d2 22 48' },
  /** client finished_key. Step "{client} calculate finished "tls13 finished"", field "expanded". */
  clientFinishedKey: {
    octets: 32,
    hex:
      '34 e8 b7 81 a8 64 3a 16 6b c1 0e c4 0c 6c 23 9f ' +
      '5d 76 00 5b 35 c6 f3 5f f7 f0 10 75 c3 6a aa 66',
  },
  /** client Finished verify_data. Step "{client} calculate finished "tls13 finished"", field "finished". */
  clientVerifyData: {
    octets: 32,
    hex:
      '80 a2 c0 d6 cb c2 10 78 db a3 0a ff bf 09 19 29 ' +
      '27 8e dc 83 2d b4 bf a1 c8 11 c9 e8 c6 7d a9 bb',
  },
  /** client Finished handshake message. Step "{client} construct a Finished handshake message", field "Finished". */
  clientFinished: {
    octets: 36,
    hex:
      '14 00 00 20 80 a2 c0 d6 cb c2 10 78 db a3 0a ff ' +
      'bf 09 19 29 27 8e dc 83 2d b4 bf a1 c8 11 c9 e8 ' +
      'c6 7d a9 bb',
  },
  /** client application write key. Step "{client} derive write traffic keys for application data", field "key expanded". */
  clientApKey: { octets: 16, hex: 'd9 2b 3e 9a 88 ea 7f e2 ed 69 aa 9c 8b 62 9e 91' },
  /** client application write iv. Step "{client} derive write traffic keys for application data", field "iv expanded". */
  clientApIv: { octets: 12, hex: '37 a8 28 16 1e ad 2b 68 13 ad 0b 13' },
  /** Transcript-Hash(ClientHello..client Finished). Step "{client} derive secret "tls13 res master"", field "hash". */
  transcriptClientFinishedHash: {
    octets: 32,
    hex:
      '31 a6 e1 ce ae 1e 79 80 50 f5 3c ac 68 66 2e ed ' +
      'ed af cf 27 9c ab 1c 18 38 b9 35 ff ce bf 42 75',
  },
  /** resumption_master_secret. Step "{client} derive secret "tls13 res master"", field "expanded". */
  resumptionMaster: {
    octets: 32,
    hex:
      'a3 4b e5 3b 07 ab 35 b8 50 3d 76 26 a7 ca d4 96 ' +
      '68 73 eb de a1 35 c4 b2 e4 cd 28 e4 b8 12 ac 54',
  },
  /** ticket_nonce of the NewSessionTicket. Step "{server} generate resumption secret "tls13 resumption"", field "hash". */
  ticketNonce: { octets: 2, hex: '00 00' },
  /** PSK of the ticket: HKDF-Expand-Label(res master, "resumption", nonce, 32). Step "{server} generate resumption secret "tls13 resumption"", field "expanded". */
  resumptionPsk: {
    octets: 32,
    hex:
      'ca e5 ce 63 ca 4b 2a 73 33 a7 ce f4 43 51 ee a4 ' +
      'b6 a0 b6 da bf e5 2e 8f a8 82 8c 57 60 2b 80 7c',
  },
  /** NewSessionTicket handshake message. Step "{server} construct a NewSessionTicket handshake message", field "NewSessionTicket". */
  newSessionTicket: {
    octets: 205,
    hex:
      '04 00 00 c9 00 00 00 1e 93 3d 09 32 02 00 00 00 ' +
      'b2 f3 5e da e4 e6 04 04 d6 f4 0f a1 7f 00 00 00 ' +
      '00 83 93 d1 63 fb 4f 5f 10 5f e2 05 6c ae b3 2a ' +
      'c7 00 70 70 04 59 31 02 6d b0 7d 58 dd 58 09 0d ' +
      '62 9a f5 9e cb 7f ba 35 3d 5d 96 53 a7 08 fb cf ' +
      '0f 51 5c 1b 82 db 6b 08 97 71 79 df c6 84 d2 2f ' +
      'cf 7b d5 c1 22 22 ab 63 ff d9 d2 bc 46 17 6d 14 ' +
      '4a e9 8a d9 34 16 89 48 22 ac 50 64 06 5f 92 99 ' +
      '5a 6f 05 2f a3 a7 31 70 36 57 81 7e a7 a8 de 73 ' +
      '14 86 61 76 8f 7f 62 09 8f b4 5c 0a 9d de 04 a9 ' +
      'cf 1a a4 20 6f 13 dd 05 5d f3 ed 5f a6 81 bb f8 ' +
      '76 e3 62 ad 9c 0a 68 d2 b5 26 6c 79 aa 80 6c bf ' +
      'e6 11 3b 00 08 00 2a 00 04 00 00 04 00',
  },
} as const satisfies Record<string, TraceValue>;

/** The bytes of a traced value (whitespace removed); throws if the count differs from the RFC's. */
export function traceBytes(v: TraceValue): Uint8Array {
  const clean = v.hex.replace(/\s+/g, '');
  const bytes = Uint8Array.from(Buffer.from(clean, 'hex'));
  if (bytes.length !== v.octets) throw new Error(`vector copy broken: ${bytes.length} octets, RFC says ${v.octets}`);
  return bytes;
}

/**
 * The server's RSA private key, RFC 8448 section 2 "Private Keys" (hex as printed there, re-wrapped).
 * It is the key of the "CN=rsa" certificate in the Certificate message above.
 */
export const RFC8448_RSA_KEY = {
  /** modulus (public) (128 octets). */
  n:
    'b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 ' +
    '8c 0c 68 de 55 e1 bd b8 26 d3 90 1a 24 61 ea fd ' +
    '2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1 ' +
    '9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 ' +
    'cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 ' +
    'e2 2a 5f da 43 08 46 74 80 30 53 0e f0 46 1c 8c ' +
    'a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93 ef f0 ab ' +
    '9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f',
  /** public exponent (3 octets). */
  e: '01 00 01',
  /** private exponent (128 octets). */
  d:
    '04 de a7 05 d4 3a 6e a7 20 9d d8 07 21 11 a8 3c ' +
    '81 e3 22 a5 92 78 b3 34 80 64 1e af 7c 0a 69 85 ' +
    'b8 e3 1c 44 f6 de 62 e1 b4 c2 30 9f 61 26 e7 7b ' +
    '7c 41 e9 23 31 4b bf a3 88 13 05 dc 12 17 f1 6c ' +
    '81 9c e5 38 e9 22 f3 69 82 8d 0e 57 19 5d 8c 84 ' +
    '88 46 02 07 b2 fa a7 26 bc f7 08 bb d7 db 7f 67 ' +
    '9f 89 34 92 fc 2a 62 2e 08 97 0a ac 44 1c e4 e0 ' +
    'c3 08 8d f2 5a e6 79 23 3d f8 a3 bd a2 ff 99 41',
  /** prime1 (64 octets). */
  p:
    'e4 35 fb 7c c8 37 37 75 6d ac ea 96 ab 7f 59 a2 ' +
    'cc 10 69 db 7d eb 19 0e 17 e3 3a 53 2b 27 3f 30 ' +
    'a3 27 aa 0a aa bc 58 cd 67 46 6a f9 84 5f ad c6 ' +
    '75 fe 09 4a f9 2c 4b d1 f2 c1 bc 33 dd 2e 05 15',
  /** prime2 (64 octets). */
  q:
    'ca bd 3b c0 e0 43 86 64 c8 d4 cc 9f 99 97 7a 94 ' +
    'd9 bb fe ad 8e 43 87 0a ba e3 f7 eb 8b 4e 0e ee ' +
    '8a f1 d9 b4 71 9b a6 19 6c f2 cb ba ee eb f8 b3 ' +
    '49 0a fe 9e 9f fa 74 a8 8a a5 1f c6 45 62 93 03',
  /** exponent1 (64 octets). */
  dp:
    '3f 57 34 5c 27 fe 1b 68 7e 6e 76 16 27 b7 8b 1b ' +
    '82 64 33 dd 76 0f a0 be a6 a6 ac f3 94 90 aa 1b ' +
    '47 cd a4 86 9d 68 f5 84 dd 5b 50 29 bd 32 09 3b ' +
    '82 58 66 1f e7 15 02 5e 5d 70 a4 5a 08 d3 d3 19',
  /** exponent2 (64 octets). */
  dq:
    '18 3d a0 13 63 bd 2f 28 85 ca cb dc 99 64 bf 47 ' +
    '64 f1 51 76 36 f8 64 01 28 6f 71 89 3c 52 cc fe ' +
    '40 a6 c2 3d 0d 08 6b 47 c6 fb 10 d8 fd 10 41 e0 ' +
    '4d ef 7e 9a 40 ce 95 7c 41 77 94 e1 04 12 d1 39',
  /** coefficient (64 octets). */
  qi:
    '83 9c a9 a0 85 e4 28 6b 2c 90 e4 66 99 7a 2c 68 ' +
    '1f 21 33 9a a3 47 78 14 e4 de c1 18 33 05 0e d5 ' +
    '0d d1 3c c0 38 04 8a 43 c5 9b 2a cc 41 68 89 c0 ' +
    '37 66 5f e5 af a6 05 96 9f 8c 01 df a5 ca 96 9d',
} as const;
