import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Which backend addresses a namespace may name (SSRF defence). The admin checks every backend URL
 * when a namespace is reserved or restored; the proxy checks the address it actually connects to,
 * because a host name's DNS answer can change after the admin looked (DNS rebinding).
 */
export interface BackendPolicyOptions {
  /** CIDRs and host names (`api.example.com`, or `.example.com` for every name under it); empty: any address not denied. */
  allow: readonly string[];
  /** CIDRs never reachable as a backend (defaults: link-local and cloud metadata, unspecified, multicast). */
  deny: readonly string[];
  /** Loopback backends (127.0.0.0/8, ::1, localhost): the development profile allows them, the others do not. */
  allowLoopback: boolean;
}

/** A port of our own (the admin's listeners, a proxy's ops port) that no backend may name. */
export interface ReservedEndpoint {
  host: string;
  port: number;
  what: string;
}

/** Why an address is refused: the rule's name and the value that matched. */
export interface Refusal {
  rule: 'deny' | 'loopback' | 'allow' | 'reserved';
  detail: string;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
const UNSPECIFIED = new BlockList();
UNSPECIFIED.addSubnet('0.0.0.0', 8, 'ipv4');
UNSPECIFIED.addAddress('::', 'ipv6');

const family = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');
/** `[::1]` → `::1`; `localhost.` → `localhost`. */
const bare = (host: string) =>
  host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
const isLoopbackName = (name: string) => name === 'localhost' || name.endsWith('.localhost');

/** Parses `a.b.c.d/n`, `v6::/n` or a plain address into a BlockList entry; throws on anything else. */
export function addCidr(list: BlockList, cidr: string): void {
  const [ip, bits, extra] = cidr.split('/');
  const kind = isIP(ip);
  const max = kind === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (!kind || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === '') {
    throw new Error(`${JSON.stringify(cidr)} is not an IP address or CIDR`);
  }
  list.addSubnet(ip, prefix, kind === 6 ? 'ipv6' : 'ipv4');
}

export const isCidr = (value: string) => isIP(value.split('/')[0]) !== 0;

export class BackendPolicy {
  private readonly deny = new BlockList();
  private readonly allowCidrs = new BlockList();
  private readonly allowNames: string[] = [];
  private readonly hasAllow: boolean;
  private readonly local: Set<string>;

  constructor(
    private readonly options: Readonly<BackendPolicyOptions>,
    private readonly reserved: () => readonly ReservedEndpoint[] = () => [],
  ) {
    for (const cidr of options.deny) addCidr(this.deny, cidr);
    for (const entry of options.allow) {
      if (isCidr(entry)) addCidr(this.allowCidrs, entry);
      else this.allowNames.push(bare(entry));
    }
    this.hasAllow = options.allow.length > 0;
    this.local = new Set(
      Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => bare(i.address))),
    );
  }

  /**
   * The admin's check of a backend URL. IP literals (in any form the URL parser accepts: `0x7f000001`,
   * `127.1`, `[::ffff:127.0.0.1]`) are checked as addresses; a host name is checked against the
   * allowlist and the loopback names here, and its resolved addresses by the proxy at connect time.
   */
  checkUrl(url: URL): Refusal | undefined {
    const host = bare(url.hostname);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (isIP(host)) return this.checkAddress(host, port);
    if (isLoopbackName(host)) {
      if (!this.options.allowLoopback) return { rule: 'loopback', detail: host };
      const own = this.reservedMatch('127.0.0.1', port);
      if (own) return own;
    }
    if (this.hasAllow && !this.nameAllowed(host)) return { rule: 'allow', detail: host };
    return undefined;
  }

  /**
   * An address a backend resolved to, with its port. `name` is the host name it was resolved from
   * (an allowlisted name admits the addresses it resolves to, unless they are denied).
   */
  checkAddress(address: string, port: number, name?: string): Refusal | undefined {
    const ip = bare(address);
    const kind = family(ip);
    if (this.deny.check(ip, kind)) return { rule: 'deny', detail: ip };
    if (LOOPBACK.check(ip, kind) && !this.options.allowLoopback) return { rule: 'loopback', detail: ip };
    const own = this.reservedMatch(ip, port);
    if (own) return own;
    if (this.hasAllow && !this.allowCidrs.check(ip, kind) && !(name && this.nameAllowed(bare(name)))) {
      return { rule: 'allow', detail: ip };
    }
    return undefined;
  }

  private nameAllowed(host: string): boolean {
    return this.allowNames.some((n) => (n.startsWith('.') ? host.endsWith(n) : host === n));
  }

  /** Whether ip:port reaches one of our own listeners: same port, and the same host or this machine. */
  private reservedMatch(ip: string, port: number): Refusal | undefined {
    const here = (h: string) => {
      const kind = family(h);
      return LOOPBACK.check(h, kind) || UNSPECIFIED.check(h, kind) || this.local.has(h);
    };
    for (const r of this.reserved()) {
      if (r.port !== port) continue;
      const host = bare(r.host);
      const sameHost =
        host === ip || (isIP(host) !== 0 && here(host) && here(ip)) || (isLoopbackName(host) && here(ip));
      if (sameHost) return { rule: 'reserved', detail: `${r.what} (port ${port})` };
    }
    return undefined;
  }
}

/** The message of a refusal, naming the rule (used by the admin's 400 and the proxy's 502). */
export function describeRefusal(target: string, refusal: Refusal): string {
  switch (refusal.rule) {
    case 'deny':
      return `backend ${target} resolves to ${refusal.detail}, which the backend policy denies (backendPolicy.deny)`;
    case 'loopback':
      return `backend ${target} is a loopback address (${refusal.detail}), allowed only with backendPolicy.allowLoopback (on in the development profile)`;
    case 'allow':
      return `backend ${target} (${refusal.detail}) is not in backendPolicy.allow`;
    case 'reserved':
      return `backend ${target} names ${refusal.detail}, a port of Prism itself`;
  }
}
