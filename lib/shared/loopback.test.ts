import { describe, expect, it } from 'vitest';
import { ipv6Groups, isHost, isLoopbackHost } from './loopback.ts';

describe('isLoopbackHost: judged on the host as written, never resolved', () => {
  it.each([
    'localhost',
    'LocalHost',
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.255',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '[0::1]',
    '::ffff:127.0.0.1',
    '[::ffff:7f00:1]',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    ['127.999.999.999', 'octets above 255'],
    ['127.0.0.01', 'a leading zero, which some parsers read as octal'],
    ['127.1', 'a short form a URL parser expands, k6 need not'],
    ['0x7f.0.0.1', 'hexadecimal'],
    ['128.0.0.1', 'outside 127/8'],
    ['10.0.0.1', 'a private address'],
    ['192.0.2.1', 'a documentation address'],
    ['::', 'the unspecified address'],
    ['::2', 'not ::1'],
    ['::ffff:10.0.0.1', 'an IPv4-mapped address outside 127/8'],
    ['localhost.', 'a name with a trailing dot, resolved like any other'],
    ['localhost.example', 'a name'],
    ['127.0.0.1.nip.io', 'a name that resolves to loopback'],
    ['', 'nothing'],
  ])('%s is not (%s)', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('ipv6Groups', () => {
  it('reads every spelling to eight groups, a trailing dotted quad included', () => {
    expect(ipv6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('2001:db8::8:1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 8, 1]);
    expect(ipv6Groups('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ipv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  });
  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', ':::1', '12345::1', '::ffff:1.2.3.999', '1:2', '10.0.0.1', 'host'])('%s is not IPv6', (h) =>
    expect(ipv6Groups(h)).toBeNull(),
  );
});

describe('isHost: what target.allow and --allow-target take', () => {
  it.each(['api.staging.example', 'API.example.', 'localhost', '10.0.0.5', '2001:db8::1', '[2001:db8::1]'])('%s is a host', (h) =>
    expect(isHost(h)).toBe(true),
  );
  it.each([
    'https://api.example',
    'api.example:8080',
    '10.0.0.5:8080',
    '[::1]:8080',
    'api.example/path',
    '-api.example',
    'a..b',
    '',
    '[10.0.0.5]',
  ])('%s is not', (h) => expect(isHost(h)).toBe(false));
});
