import { isIP } from 'node:net';

/** Express's `trust proxy` values: nobody or everybody, a hop count, or the proxies' addresses. */
export type TrustProxy = boolean | number | string[];

// proxy-addr's names for well-known ranges, as Express accepts them.
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(s: string): boolean {
  if (NAMED_RANGES.has(s)) return true;
  const [ip, bits, ...rest] = s.split('/') as [string, string?, ...string[]];
  const family = isIP(ip);
  if (!family || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * PALIADIN_TRUST_PROXY as Express takes it, or undefined when it is none of
 * `false`, `true`, a hop count, or a comma list of addresses / subnets / named ranges.
 */
export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 && list.every(isAddressOrSubnet) ? list : undefined;
}
