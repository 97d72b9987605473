import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { ProxyConfig } from '../../core/src/config/proxy-schema.js';
import type { LoadedCertificates } from '../../core/src/tls/cert-files.js';
import { identitiesOf, identityOf, spiffeId } from '../../core/src/tls/identity.js';
import type { PeerRefusal } from './metrics.js';
import type { Req } from './plugins/types.js';

/*
 * Proxy-to-proxy mTLS. With a fleet CA (controlPlane.tls.caFile), a proxy forwards to a peer over
 * TLS presenting its own fleet certificate, and accepts the peer only when the peer's certificate
 * chains to the CA and names the very id the table gave for that address: a certificate that merely
 * chains to the CA would let any proxy of the fleet, or whoever holds one proxy's key, stand in for
 * any other. The receiving side asks every TLS client for a certificate but does not require one
 * (clients of the data port may speak TLS too); only a request that says it was forwarded
 * (X-Prism-Hops) must come with a proxy's certificate (plugins/peer.ts).
 */

/** The fleet CA is configured: peers speak mTLS to each other. */
export const fleetTls = (config: Readonly<ProxyConfig>): boolean => config.controlPlane.tls.caFile !== '';

/**
 * The SNI a proxy sends to a peer: the id it means to reach, under a suffix that makes the peer's
 * data port present its fleet certificate rather than tls.certFile (which clients may be given from
 * a public CA). It is a hint for the server only; the identity check does not rely on it.
 */
const PEER_SNI_SUFFIX = '.proxy.prism';
export const peerServername = (id: string): string => `${id}${PEER_SNI_SUFFIX}`;
export const isPeerServername = (name: string): boolean => name.endsWith(PEER_SNI_SUFFIX);

/** The peer's certificate chains to the fleet CA but names someone else than the owner dialled. */
export class PeerIdentityError extends Error {
  readonly code = 'PRISM_PEER_IDENTITY';
}

/** Who a certificate says it is, for messages: its fleet identities, else its names. */
export function describeCertificate(cert: PeerCertificate): string {
  const ids = identitiesOf(cert.subjectaltname);
  if (ids.length > 0) return ids.map((i) => spiffeId(i.role, i.name)).join(', ');
  const names = cert.subjectaltname || (cert.subject?.CN ? `CN=${cert.subject.CN}` : 'no names');
  return `a certificate without a fleet identity (${names})`;
}

/**
 * tls.connect options (undici's `connect`) for a connection to peer `id`: this proxy's certificate,
 * the fleet CA, and a check that the peer is `id`. Node runs checkServerIdentity after the chain
 * verified and before the connection is handed to undici, so a wrong peer never gets request bytes.
 * A resumed TLS session skips the check; undici caches sessions per servername, which names the id.
 */
export function peerConnectOptions(files: LoadedCertificates, id: string) {
  return {
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    servername: peerServername(id),
    checkServerIdentity(_host: string, cert: PeerCertificate): Error | undefined {
      if (identityOf(cert.subjectaltname, 'proxy') === id) return undefined;
      return new PeerIdentityError(`it presented ${describeCertificate(cert)}, not ${spiffeId('proxy', id)}`);
    },
  };
}

const VERIFY_CODE = /^[A-Z_]+$/;
const VERIFY_WORDS = /CERT|CRL|SIGNATURE|ISSUER|INVALID_CA|PURPOSE|PATH_LENGTH|HOSTNAME/;

/** A failed TLS handshake or certificate check, as opposed to a connection refused, reset or timed out. */
export function isTlsFailure(err: unknown): boolean {
  if (err instanceof PeerIdentityError) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || (VERIFY_CODE.test(code) && VERIFY_WORDS.test(code))
  );
}

export type PeerVerdict =
  | { readonly id: string }
  | { readonly id?: undefined; readonly reason: PeerRefusal; readonly why: string };

const VERDICT = Symbol('prism.peerVerdict');
type Holder = { [VERDICT]?: PeerVerdict };

/**
 * Which fleet proxy the request's connection belongs to, or why it belongs to none. Decided once per
 * connection (HTTP/2: per session) and kept on it: the certificate cannot change under a connection.
 */
export function peerOf(req: Req): PeerVerdict {
  const holder = ('stream' in req ? req.stream.session : req.socket) as Holder | undefined;
  let verdict = holder?.[VERDICT];
  if (verdict === undefined) {
    verdict = verdictOf(req.socket as TLSSocket);
    if (holder) holder[VERDICT] = verdict;
  }
  return verdict;
}

function verdictOf(socket: TLSSocket): PeerVerdict {
  if (!socket.encrypted) {
    return { reason: 'cleartext', why: 'it came over a cleartext connection (peers forward over mTLS)' };
  }
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) return { reason: 'no_certificate', why: 'the TLS connection presented no client certificate' };
  if (!socket.authorized) {
    return {
      reason: 'untrusted_certificate',
      why: `its client certificate (${describeCertificate(cert)}) does not verify against the fleet CA: ${socket.authorizationError}`,
    };
  }
  const id = identityOf(cert.subjectaltname, 'proxy');
  if (id === undefined) {
    return { reason: 'not_a_proxy', why: `its client certificate names ${describeCertificate(cert)}, not a proxy` };
  }
  return { id };
}
