import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Where a webhook must not go unless PALIADIN_WEBHOOK_ALLOW_PRIVATE=true: this host, private
// networks, link-local (cloud metadata at 169.254.169.254), and the other special ranges.
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether an address is loopback, private, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 one.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A webhook URL's form, or what is wrong with it (a 400's message, naming `url`). */
export function parseTargetUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `url must use http or https, not ${url.protocol.replace(':', '')}`;
  if (url.username || url.password) return 'url must not carry credentials';
  if (!url.hostname) return 'url must name a host';
  return url;
}

/** A host name without the brackets URL keeps around IPv6 addresses. */
export const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/** How names are resolved: the system's resolver, or a test's. */
export type LookupAll = (name: string) => Promise<LookupAddress[]>;
const systemLookup: LookupAll = (name) => lookup(name, { all: true, verbatim: true });

/**
 * The addresses `host` resolves to now, all of them allowed, or what is
 * wrong: a name with one private address among public ones is refused as a
 * whole (whichever the connection would use).
 */
export async function resolveTarget(host: string, allowPrivate: boolean, lookupAll: LookupAll = systemLookup): Promise<LookupAddress[] | string> {
  const name = bareHost(host);
  let addresses: LookupAddress[];
  if (isIP(name)) addresses = [{ address: name, family: isIP(name) }];
  else {
    try {
      addresses = await lookupAll(name);
    } catch (e) {
      return `url's host ${name} does not resolve (${(e as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
    }
  }
  if (addresses.length === 0) return `url's host ${name} does not resolve`;
  const denied = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
  if (denied) return `url points at a private, loopback or link-local address (${denied.address}), which webhooks may not reach`;
  return addresses;
}
