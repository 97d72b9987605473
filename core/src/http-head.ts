import type { Socket } from 'node:net';

/**
 * Whether the request a client error (node:http 'clientError': a parse error or a timeout) is about
 * said HEAD — parsed already, or in the bytes that failed to parse — so that the coded answer ends
 * with its header section (RFC 9112 §6.3). Both HTTP servers (admin and proxy) answer client errors
 * themselves.
 */
export function requestedHead(err: Error, socket: Socket): boolean {
  const res = (socket as Socket & { _httpMessage?: { req?: { method?: string } } | null })._httpMessage;
  if (res?.req?.method) return res.req.method === 'HEAD';
  const raw = (err as Error & { rawPacket?: Buffer }).rawPacket;
  return raw !== undefined && raw.subarray(0, 5).toString('latin1') === 'HEAD ';
}
