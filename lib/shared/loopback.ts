/**
 * What counts as loopback, judged on the host as written (no name is resolved): `localhost`,
 * an IPv4 literal in 127.0.0.0/8, or the IPv6 loopback ::1 (any spelling, brackets or not,
 * IPv4-mapped 127/8 included). The one test for the reference API's listen address
 * (`loadgate target --host`) and for the target guard (`loadgate run`). Pure: no Node API.
 */

/** A host name (or IPv4 literal): dotted labels of letters, digits and inner hyphens. */
const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/i;

/**
 * A host as a URL spells it, without scheme, port or path: a name, an IPv4 literal, or an IPv6
 * literal with or without brackets. What `target.allow` and `--allow-target` take.
 */
export function isHost(text: string): boolean {
  const t = text.trim();
  if (t.startsWith('[') || t.endsWith(']')) return /^\[[^\]]*\]$/.test(t) && ipv6Groups(t.slice(1, -1)) !== null;
  return NAME.test(t) || ipv6Groups(t) !== null;
}
export const HOST_HINT = 'must be a host name or an IP address such as "api.staging.example" or "10.0.0.5" (no scheme, port or path)';

/** Four decimal octets, each 0-255 and without leading zeros (which some parsers read as octal). */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

export function isIPv4(host: string): boolean {
  return IPV4.test(host);
}

/** The eight 16-bit groups of an IPv6 literal (a trailing dotted quad allowed), or null. */
export function ipv6Groups(host: string): number[] | null {
  if (!host.includes(':') || !/^[0-9a-f:.]+$/i.test(host)) return null;
  let text = host;
  // A trailing dotted quad is the last two groups.
  const quad = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    if (!isIPv4(quad[1])) return null;
    const [a, b, c, d] = quad[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index + 1)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const known = head.length + rest.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  const zeros = Array<number>(8 - known).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...rest.map((g) => parseInt(g, 16))];
}

/** The host as written in a URL or a flag, compared case-insensitively: brackets off, lower case. */
export function normalHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export function isLoopbackHost(host: string): boolean {
  const h = normalHost(host);
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  const g = ipv6Groups(h);
  if (g === null) return false;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::1, and ::ffff:127.x.y.z (an IPv4-mapped loopback address).
  return (zero(0, 7) && g[7] === 1) || (zero(0, 5) && g[5] === 0xffff && (g[6] ?? 0) >> 8 === 127);
}
