/**
 * The SSRF guard in front of every request single sign-on makes (src/modules/sso/outbound.ts):
 * which addresses are reachable, which issuer URLs are accepted, and that a name resolving to a
 * private or loopback address is refused when the connection is made.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIssuerUrl, guardedFetch, isReachableAddress } from '../../src/modules/sso/outbound.ts';

describe('reachable addresses', () => {
  it('are public ones; private, loopback, link-local, CGNAT, multicast and mapped forms of them are not', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isReachableAddress(address, false), address).toBe(true);
    for (const address of [
      '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '127.0.0.1', '127.8.9.10', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', 'ff02::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '::ffff:169.254.169.254',
    ]) {
      expect(isReachableAddress(address, false), address).toBe(false);
    }
  });

  it('include loopback only where the operator allows it, and never the other private ranges', () => {
    expect(isReachableAddress('127.0.0.1', true)).toBe(true);
    expect(isReachableAddress('::1', true)).toBe(true);
    expect(isReachableAddress('10.0.0.1', true)).toBe(false);
    expect(isReachableAddress('169.254.169.254', true)).toBe(false);
  });
});

describe('issuer URLs', () => {
  it('are https, without credentials, query or fragment, and not a private literal address', () => {
    expect(checkIssuerUrl('https://login.example.com/realms/acme', false).href).toBe('https://login.example.com/realms/acme');
    for (const url of ['http://login.example.com', 'https://10.0.0.1', 'https://[::1]', 'https://[::ffff:a00:1]', 'https://u:p@login.example.com', 'https://login.example.com/?x=1', 'https://login.example.com/#f', 'file:///etc/passwd', 'nonsense']) {
      expect(() => checkIssuerUrl(url, false), url).toThrow(expect.objectContaining({ code: 'SSO.ISSUER_REFUSED' }));
    }
  });

  it('may be http on loopback where allowed, and only there', () => {
    expect(checkIssuerUrl('http://127.0.0.1:4000', true).port).toBe('4000');
    expect(checkIssuerUrl('http://localhost:4000', true).hostname).toBe('localhost');
    expect(() => checkIssuerUrl('http://127.0.0.1:4000', false)).toThrow();
    expect(() => checkIssuerUrl('http://login.example.com', true)).toThrow();
  });
});

describe('the guarded fetch', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_request, response) => response.end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (fetcher: ReturnType<typeof guardedFetch>, url: string) => fetcher(url, { method: 'GET', headers: {} });

  it('refuses a name that resolves to loopback, and a loopback literal, unless loopback is allowed', async () => {
    await expect(get(guardedFetch(false), `http://localhost:${port}/`)).rejects.toThrow(/private, loopback or link-local/);
    await expect(get(guardedFetch(false), `http://127.0.0.1:${port}/`)).rejects.toThrow(/private, loopback or link-local/);
    const allowed = await get(guardedFetch(true), `http://localhost:${port}/`);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ ok: true });
  });
});
