/**
 * Where a live server may send webhooks (issue #4, SSRF): only to public unicast addresses.
 *
 * Two layers use the same rules:
 * - at endpoint creation and update, {@link forbiddenHostReason} refuses host names that can only
 *   mean this machine or its cloud (`localhost`, `*.localhost`, `metadata.google.internal`) and
 *   literal special-purpose addresses;
 * - at delivery, every connection goes through {@link publicOnlyLookup}, the `lookup` of the
 *   undici Agent of {@link liveWebhookDispatcher}: the name is resolved once, for that
 *   connection, and only public addresses are connected to. A name that resolves to a private
 *   address, or that is re-pointed there after creation (DNS rebinding), is refused when
 *   connecting, not when it was registered.
 *
 * A sandbox server keeps delivering anywhere (tests and tunnels deliver to 127.0.0.1).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';

/** IPv4 ranges that are not public unicast (RFC 6890 and the IANA special-purpose registry). */
const IPV4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata at 169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

/** IPv6: only global unicast 2000::/3 is allowed, minus these special-purpose parts of it. */
const IPV6_BLOCKED_IN_GLOBAL: readonly [string, number][] = [
  ['2001::', 23], // IETF protocol assignments (Teredo 2001::/32, ORCHID…)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
];

const blockedV4 = new BlockList();
for (const [net, prefix] of IPV4_BLOCKED) blockedV4.addSubnet(net, prefix, 'ipv4');
const globalV6 = new BlockList();
globalV6.addSubnet('2000::', 3, 'ipv6');
const blockedV6 = new BlockList();
for (const [net, prefix] of IPV6_BLOCKED_IN_GLOBAL) blockedV6.addSubnet(net, prefix, 'ipv6');

/** The eight 16-bit words of an IPv6 address (an embedded dotted quad allowed), or `null`. */
function ipv6Words(address: string): number[] | null {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const b = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const words = [...head, ...Array<number>(Math.max(fill, 0)).fill(0), ...tail];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : null;
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * Whether `address` (a literal IPv4 or IPv6 address, without brackets) is public unicast. An IPv6
 * address that embeds an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) is judged by that IPv4 address; anything that is not an IP address is not public.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blockedV4.check(address, 'ipv4');
  if (family !== 6) return false;
  const w = ipv6Words(address);
  if (!w) return false;
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && w[5] === 0xffff) return isPublicAddress(v4Of(w[6]!, w[7]!)); // ::ffff:a.b.c.d
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return isPublicAddress(v4Of(w[6]!, w[7]!)); // NAT64
  if (w[0] === 0x2002) return isPublicAddress(v4Of(w[1]!, w[2]!)); // 6to4
  const canonical = w.map((x) => x.toString(16)).join(':');
  return globalV6.check(canonical, 'ipv6') && !blockedV6.check(canonical, 'ipv6');
}

/** A URL host name without brackets and trailing dots, lowercase (`Shop.Example.com.` → `shop.example.com`). */
export function normalizeHostname(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase();
}

/** Host names that can only mean this machine or the cloud metadata service. */
const FORBIDDEN_NAMES = new Set(['localhost', 'metadata.google.internal', 'metadata.goog']);

/**
 * Why a live endpoint may not use this URL host, or `null` when it may: `localhost`,
 * `*.localhost`, cloud metadata names, or a literal address that is not public unicast
 * (trailing dots and brackets ignored). A name that merely resolves to a private address is
 * caught when delivering, by {@link publicOnlyLookup}.
 */
export function forbiddenHostReason(hostname: string): string | null {
  const host = normalizeHostname(hostname);
  if (FORBIDDEN_NAMES.has(host) || host.endsWith('.localhost')) return 'must not point to localhost or a cloud metadata host in live mode';
  if (isIP(host) !== 0 && !isPublicAddress(host)) return 'must not point to a private, loopback, link-local or other special-purpose address in live mode';
  return null;
}

/** Raised by {@link publicOnlyLookup} when a name has no public address. */
export class NonPublicAddressError extends Error {
  readonly code = 'ENONPUBLIC';
  constructor(hostname: string) {
    super(`${hostname} resolves to no public address`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `net.connect` `lookup` that resolves `hostname` and keeps only public unicast addresses
 * ({@link isPublicAddress}); with none left it fails with {@link NonPublicAddressError}, so no
 * connection is attempted. Answers in the shape asked for (`options.all` or one address).
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const forbidden = FORBIDDEN_NAMES.has(normalizeHostname(hostname)) || normalizeHostname(hostname).endsWith('.localhost');
  if (forbidden) return void process.nextTick(callback, new NonPublicAddressError(hostname), '', 4);
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) return callback(new NonPublicAddressError(hostname), '', 4);
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

let liveAgent: Agent | undefined;

/**
 * The dispatcher of live-mode deliveries: an undici Agent connecting only through
 * {@link publicOnlyLookup}. One per process, made on first use.
 */
export function liveWebhookDispatcher(): Agent {
  liveAgent ??= new Agent({ connect: { lookup: publicOnlyLookup } });
  return liveAgent;
}
