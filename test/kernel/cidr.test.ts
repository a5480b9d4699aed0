import { describe, expect, it } from 'vitest';
import { blockableCidr, canonicalCidr, overlaps, parseCidr, refusal } from '../../src/kernel/cidr.js';
import { RelayError } from '../../src/kernel/errors.js';

const policy = (protectedCidrs: string[] = [], minPrefixV4 = 16, minPrefixV6 = 48) => ({
  minPrefixV4,
  minPrefixV6,
  protectedCidrs: protectedCidrs.map((c) => parseCidr(c) ?? expect.unreachable(c)),
});

describe('CIDR canonicalisation', () => {
  it.each([
    ['198.51.100.77', '198.51.100.77/32'],
    ['198.51.100.77/24', '198.51.100.0/24'],
    ['100.68.0.18/18', '100.68.0.0/18'],
    [' 203.0.113.5/32 ', '203.0.113.5/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/1', '128.0.0.0/1'],
  ])('IPv4 %s → %s', (input, out) => expect(canonicalCidr(input)).toBe(out));

  it.each([
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001/128', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/56', '2001:db8:aaaa:bb00::/56'],
    ['::ffff:192.0.2.1', '::ffff:c000:201/128'],
    ['::', '::/128'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3/128'],
  ])('IPv6 %s → %s', (input, out) => expect(canonicalCidr(input)).toBe(out));

  it.each([
    '',
    'example.com',
    '1.2.3',
    '1.2.3.4/33',
    '256.1.1.1',
    '01.2.3.4',
    'fe80::1%eth0',
    '2001:db8::/129',
    '1.2.3.4/',
  ])('rejects %j as invalid argument', (input) => {
    expect(parseCidr(input)).toBeUndefined();
    expect(() => canonicalCidr(input)).toThrow(RelayError);
  });

  it('overlap is by address range, not by text', () => {
    const p = (s: string) => parseCidr(s) ?? expect.unreachable(s);
    expect(overlaps(p('10.0.0.0/8'), p('10.20.30.40'))).toBe(true);
    expect(overlaps(p('10.20.30.40/32'), p('10.0.0.0/8'))).toBe(true);
    expect(overlaps(p('10.0.0.0/8'), p('11.0.0.0/8'))).toBe(false);
    expect(overlaps(p('2001:db8::/32'), p('2001:db8:1::1'))).toBe(true);
    expect(overlaps(p('::/0'), p('0.0.0.0/0'))).toBe(false);
  });
});

describe('blocking policy', () => {
  it('always refuses the whole address space, even with a minimum prefix of 0', () => {
    expect(refusal(parseCidr('0.0.0.0/0') ?? expect.unreachable(), policy([], 0, 0))).toMatch(
      /whole address space/,
    );
    expect(refusal(parseCidr('::/0') ?? expect.unreachable(), policy([], 0, 0))).toMatch(
      /whole address space/,
    );
  });

  it('refuses prefixes shorter than the configured minimum per family', () => {
    expect(() => blockableCidr('198.51.0.0/15', policy())).toThrow(/shorter than \/16/);
    expect(blockableCidr('198.51.0.0/16', policy()).text).toBe('198.51.0.0/16');
    expect(() => blockableCidr('2001:db8::/47', policy())).toThrow(/shorter than \/48/);
    expect(blockableCidr('2001:db8::/48', policy()).text).toBe('2001:db8::/48');
  });

  it('refuses a block that overlaps a protected range in either direction of containment', () => {
    const p = policy(['203.0.113.10/32', '192.0.2.0/24']);
    expect(() => blockableCidr('203.0.113.0/24', p)).toThrow(/protected range 203.0.113.10\/32/);
    expect(() => blockableCidr('192.0.2.77', p)).toThrow(/protected range 192.0.2.0\/24/);
    expect(blockableCidr('203.0.113.11', p).text).toBe('203.0.113.11/32');
  });

  it('reports refusals as invalid argument', () => {
    try {
      blockableCidr('0.0.0.0/0', policy());
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RelayError);
      expect((err as RelayError).code).toBe('invalid argument');
    }
  });
});

describe('special-purpose addresses (issue 12)', () => {
  const cidr = (v: string) => {
    const c = parseCidr(v);
    if (!c) throw new Error(`bad CIDR ${v}`);
    return c;
  };
  const policy = { minPrefixV4: 16, minPrefixV6: 48, protectedCidrs: [cidr('10.1.0.0/16')] };
  const refused = (v: string) => refusal(cidr(v), policy);

  it.each([
    '169.254.169.253',
    '169.254.169.254',
    '169.254.0.0/16',
    '127.0.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.251',
    '239.255.255.250',
    '240.0.0.1',
    '::1',
    '::',
    'fe80::/64',
    'fe80::1',
    'ff02::1',
  ])('refuses %s', (v) => {
    expect(refused(v)).toMatch(/special-purpose range/);
  });

  it.each([
    ['::ffff:169.254.169.254', /embeds 169\.254\.169\.254\/32/],
    ['::ffff:127.0.0.1', /embeds 127\.0\.0\.1\/32/],
    ['64:ff9b::a9fe:a9fe', /embeds 169\.254\.169\.254\/32/],
    ['2002:7f00:1::/48', /embeds 127\.0\.0\.1\/32/],
    ['::ffff:10.1.2.3', /embeds 10\.1\.2\.3\/32, which overlaps 10\.1\.0\.0\/16/],
    ['::ffff:0:0/96', /every IPv4 address/],
  ])('refuses the IPv4-embedded form %s of a refused or protected address', (v, why) => {
    expect(refused(v)).toMatch(why);
  });

  it.each([
    '10.20.30.40',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.1.1',
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.5',
    '2001:db8::1',
    'fd00::1',
    '::ffff:203.0.113.5',
    '64:ff9b::cb00:7105',
  ])('keeps %s blockable (private, shared, documentation)', (v) => {
    expect(refused(v)).toBeUndefined();
  });
});
