import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.ts';
import { negotiateLocale } from '../../src/core/i18n/index.ts';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, sqliteSynchronous: 'FULL', trustProxy: [] });
  });

  it('stops with a message naming each bad variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(ConfigError);
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(/SQLITE_SYNCHRONOUS/);
  });

  it('takes proxies only as addresses or CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, fd00::/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8', '::1']);
    // Each of these would pass a loose pattern, then stop Fastify with an error not naming TRUST_PROXY.
    for (const bad of ['0.0.0.0/0', '::/0', '10.0.0.0/33', '999.1.1.1', '10.0.0.1/8/8', 'fd00::/129', '10.0.0.0/']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });
});

describe('negotiateLocale', () => {
  it('honours q-values and regional tags, and returns undefined when nothing is supported', () => {
    expect(negotiateLocale('fr;q=1, es-MX;q=0.8, en;q=0.5')).toBe('es');
    expect(negotiateLocale('en-US')).toBe('en');
    expect(negotiateLocale('de, fr')).toBeUndefined();
    expect(negotiateLocale('es;q=0, en;q=0.1')).toBe('en');
    expect(negotiateLocale(undefined)).toBeUndefined();
  });
});
