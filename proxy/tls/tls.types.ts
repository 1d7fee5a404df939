/**
 * Types of proxy/tls/: certificates loaded for `bind ... ssl crt ...` and what a TLS connection
 * tells the rest of the proxy. No logic here.
 */

/**
 * One certificate loaded from a PEM file (HAProxy style: the certificate, its chain, and the private
 * key in one file, or the key in `<file>.key`). `keyPem` is secret: it never leaves the worker that
 * loaded it (not in traces, snapshots or messages).
 */
export interface LoadedCert {
  /** Absolute path of the PEM file. */
  file: string;
  /**
   * Host names the certificate is chosen for by SNI, lower-cased, in the order found: the subject's
   * CN then the subjectAltName DNS entries, without duplicates. `*.example.com` is a wildcard.
   */
  names: string[];
  /** The leaf certificate's subject (`CN=...`, one attribute per line, as node:crypto gives it). */
  subject: string;
  /** End of validity, as node:crypto's X509Certificate.validTo prints it. */
  validTo: string;
  /** The leaf certificate then its chain, PEM. */
  certPem: string;
  /** The private key, PEM. Secret. */
  keyPem: string;
}

/** Facts of an established TLS connection, for traces and the `ssl_fc*` fetches. */
export interface TlsSessionFacts {
  /** `TLSv1.3`, `TLSv1.2`, ... */
  protocol: string;
  /** OpenSSL/IANA cipher name, e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
  /** The server name the client sent (SNI), undefined when none. */
  sni: string | undefined;
  /** The ALPN protocol negotiated, undefined when none. */
  alpn: string | undefined;
}
