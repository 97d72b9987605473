/**
 * What this proxy says about itself beyond its table: draining (after SIGTERM) and a lost admin.
 * Written by the shutdown sequence and the control client, read by /readyz, the metrics and every
 * response: the request path reads one field.
 */
export class ProxyHealth {
  /** When the drain began (epoch ms); undefined while the proxy serves normally. */
  drainingSince?: number;
  /** Since when no admin stream has been up, once that is longer than controlPlane.adminLostAfterMissed heartbeats. */
  adminLostSince?: number;
  /** X-Prism-Degraded on data-plane responses, or undefined when nothing is degraded. */
  degradedHeader?: string;

  get degraded(): string[] {
    return this.adminLostSince === undefined ? [] : ['admin-unreachable'];
  }

  adminLost(since: number | undefined): void {
    this.adminLostSince = since;
    this.degradedHeader = since === undefined ? undefined : 'admin-unreachable';
  }
}
