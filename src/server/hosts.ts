// Which `Host` headers the local server answers to: its own names only. A page on another site that points
// its DNS name at this machine (DNS rebinding) sends its own name as Host, and is refused.
import { isIP, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** The names of this machine that always reach a server listening on loopback or on every interface. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Listening on these means every interface of the machine. */
const WILDCARDS = new Set(['0.0.0.0', '[::]']);

/** A Host header: a bracketed IPv6 address or a plain name, and an optional port; no user info, no path. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

/** Whether a `Host` header (undefined: none was sent) names a server on local port `port`. */
export type HostFilter = (header: string | undefined, port: number | undefined) => boolean;

/** `host` spelled as a URL spells it (lower case, IPv6 compressed and bracketed), or null if no URL can hold it. */
function canonical(host: string): string | null {
  try {
    return new URL(`http://${isIPv6(host) ? `[${host}]` : host}`).hostname;
  } catch {
    return null;
  }
}

/** True for names and addresses that only this machine can reach: localhost, 127.0.0.0/8, ::1 (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const name = canonical(host);
  if (name === null) return false;
  if (name === 'localhost' || name === '[::1]') return true;
  return (isIP(name) === 4 && name.startsWith('127.')) || /^\[::ffff:7f[0-9a-f]{2}:/.test(name);
}

/** Every address of this machine's interfaces, read per request since addresses come and go (DHCP, VPN). */
function interfaceAddresses(): Set<string> {
  const names = new Set<string>();
  for (const addresses of Object.values(networkInterfaces())) {
    for (const { address } of addresses ?? []) {
      const name = canonical(address);
      if (name !== null) names.add(name);
    }
  }
  return names;
}

/**
 * The Host check for a server listening on `listenHost`: that host itself, plus the localhost names when it is
 * loopback, plus every interface address when it is 0.0.0.0 or ::. The port must be the one the request came in on
 * (80 when the header leaves it out, as browsers do for the default port).
 */
export function hostFilter(listenHost: string): HostFilter {
  const own = canonical(listenHost);
  const names = new Set<string>(own === null ? [] : [own]);
  const wildcard = own !== null && WILDCARDS.has(own);
  if (wildcard || isLoopbackHost(listenHost)) for (const name of LOOPBACK_NAMES) names.add(name);
  return (header, port) => {
    const match = header === undefined ? null : HOST_HEADER.exec(header);
    if (!match || port === undefined || Number(match[2] ?? 80) !== port) return false;
    const name = canonical(match[1]);
    return name !== null && (names.has(name) || (wildcard && interfaceAddresses().has(name)));
  };
}
