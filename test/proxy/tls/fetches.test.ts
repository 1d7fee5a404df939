/**
 * `ssl_fc` / `ssl_fc_sni` (HAProxy configuration manual 7.3.4) in ACLs (proxy/acl/fetches.ts) and
 * as log-format samples (CONNECTION_SAMPLES), from the facts of a TLS connection.
 */
import { describe, expect, it } from 'vitest';
import { requestContext } from '../../../proxy/acl/context.ts';
import { CONNECTION_SAMPLES } from '../../../proxy/acl/fetches.ts';
import { matches } from '../acl/helpers.ts';

const tls = { ssl: true, sni: 'www.example.com' };
const tlsNoSni = { ssl: true };
const plain = { sni: 'ignored.example' };

describe('ssl_fc and ssl_fc_sni in ACLs', () => {
  it('ssl_fc is true on a TLS connection only', () => {
    expect(matches('ssl_fc', tls)).toBe(true);
    expect(matches('ssl_fc', plain)).toBe(false);
  });
  it('ssl_fc_sni matches the name the client sent; no SNI (or no TLS) is no sample', () => {
    expect(matches('ssl_fc_sni www.example.com', tls)).toBe(true);
    expect(matches('ssl_fc_sni_end .example.com', tls)).toBe(true);
    expect(matches('ssl_fc_sni -m found', tlsNoSni)).toBe(false);
    expect(matches('ssl_fc_sni -m found', plain)).toBe(false);
  });
});

describe('CONNECTION_SAMPLES (log-format %[ssl_fc], %[ssl_fc_sni])', () => {
  it('renders ssl_fc as 1/0 and ssl_fc_sni as the name or no sample', () => {
    const fc = CONNECTION_SAMPLES.get('ssl_fc')!;
    const sni = CONNECTION_SAMPLES.get('ssl_fc_sni')!;
    expect([fc(requestContext(tls)), fc(requestContext(plain))]).toEqual(['1', '0']);
    expect([sni(requestContext(tls)), sni(requestContext(tlsNoSni)), sni(requestContext(plain))]).toEqual(['www.example.com', undefined, undefined]);
  });
});
