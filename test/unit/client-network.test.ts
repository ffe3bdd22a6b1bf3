import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientNetwork } from '../../src/core/http/rate-limit.ts';

describe('clientNetwork (what a per-address limit counts)', () => {
  it('keeps an IPv4 address, and unwraps an IPv4-mapped one', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::FFFF:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address as its /64, however it is written', () => {
    for (const ip of ['2001:db8:1:2::a', '2001:DB8:1:2:0:0:0:b', '2001:0db8:0001:0002:ffff::1', '2001:db8:1:2:a:b:1.2.3.4']) {
      expect(clientNetwork(ip), ip).toBe('2001:db8:1:2::/64');
    }
    expect(clientNetwork('2001:db8:1:3::a')).toBe('2001:db8:1:3::/64');
    expect(clientNetwork('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('64:ff9b::1.2.3.4')).toBe('64:ff9b:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('gives a written-out address and its shortest form the same network, that of its first four groups', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
        // The URL parser writes an IPv6 host in its canonical, shortest form.
        const shortest = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        const expected = `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
        if (shortest.startsWith('::ffff:') && /^::ffff:[\d.]+$/.test(shortest)) return;
        expect(clientNetwork(full)).toBe(expected);
        expect(clientNetwork(shortest)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
