import { describe, expect, it } from 'vitest';
import { identitiesOf, identityOf, parseSpiffeId, spiffeId } from '../src/tls/identity.js';

describe('fleet identities in certificates', () => {
  it('reads spiffe://prism/<role>/<name> from the URI SANs and nothing else', () => {
    const san = 'URI:spiffe://prism/proxy/proxy-a, DNS:proxy-b, IP Address:127.0.0.1, URI:https://example.com/';
    expect(identitiesOf(san)).toEqual([{ role: 'proxy', name: 'proxy-a' }]);
    expect(identityOf(san, 'proxy')).toBe('proxy-a');
    expect(identityOf(san, 'admin')).toBeUndefined();
    expect(spiffeId('operator', 'alice')).toBe('spiffe://prism/operator/alice');
  });

  it('gives no proxy id for a certificate that names two, another trust domain, or an invalid id', () => {
    expect(identityOf('URI:spiffe://prism/proxy/a, URI:spiffe://prism/proxy/b', 'proxy')).toBeUndefined();
    expect(identityOf('URI:spiffe://other/proxy/a', 'proxy')).toBeUndefined();
    expect(parseSpiffeId('spiffe://prism/proxy/Proxy_A')).toBeUndefined();
    expect(parseSpiffeId('spiffe://prism/proxy/a/extra')).toBeUndefined();
    // Node quotes a SAN value holding the separator, so it cannot smuggle a second entry in.
    expect(identityOf('URI:"spiffe://prism/proxy/a, URI:spiffe://prism/proxy/b"', 'proxy')).toBeUndefined();
    expect(identityOf(undefined, 'proxy')).toBeUndefined();
  });
});
