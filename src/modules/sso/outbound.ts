import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { AppError } from '../../core/errors.ts';

/**
 * Tessera fetches what a workspace owner names (an OpenID provider's discovery document, its
 * token endpoint, its keys): a server-side request an attacker would aim at the internal
 * network. Only public addresses are reached, checked when the connection is made (after DNS
 * answered), so a name that resolves elsewhere on a second lookup gains nothing. Loopback is
 * reachable only where the operator allows it (tests, a provider on the same machine).
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  // Forms that carry an IPv4 address inside (NAT64, 6to4, Teredo, IPv4-compatible): refused
  // whole, since the address they lead to may be any of the private ones above.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['2001::', 32],
  ['::', 96],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isReachableAddress(address: string, allowLoopback: boolean): boolean {
  const { address: plain, family } = unmapped(address);
  if (allowLoopback && LOOPBACK.check(plain, family)) return true;
  return !NOT_PUBLIC.check(plain, family);
}

const isLoopbackHost = (hostname: string) => hostname === 'localhost' || LOOPBACK.check(unmapped(hostname.replace(/^\[|\]$/g, '')).address, isIP(hostname.replace(/^\[|\]$/g, '')) === 6 ? 'ipv6' : 'ipv4');

/**
 * An issuer a workspace may connect: `https://`, or `http://` on loopback where the operator
 * allows it; no credentials, query or fragment (an issuer is compared as written); a literal
 * address must be reachable. A name is checked when it is connected to.
 */
export function checkIssuerUrl(text: string, allowLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('SSO.ISSUER_REFUSED', { issuer_url: 'not a URL' });
  }
  const insecureAllowed = allowLoopback && url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !insecureAllowed) throw new AppError('SSO.ISSUER_REFUSED', { issuer_url: 'must be an https:// URL' });
  if (url.username || url.password || url.search || url.hash) {
    throw new AppError('SSO.ISSUER_REFUSED', { issuer_url: 'must have no credentials, query or fragment' });
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !isReachableAddress(literal, allowLoopback)) {
    throw new AppError('SSO.ISSUER_REFUSED', { issuer_url: 'names a private, loopback or link-local address' });
  }
  return url;
}

class UnreachableAddressError extends Error {
  override readonly name = 'UnreachableAddressError';
}

/** Node's lookup, refusing every answer that is not a reachable address. */
function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((entry) => isReachableAddress(entry.address, allowLoopback));
      if (allowed.length === 0) {
        return callback(new UnreachableAddressError(`${hostname} resolves only to private, loopback or link-local addresses`), '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, allowed);
      const [first] = allowed;
      return callback(null, first?.address ?? '', first?.family ?? 4);
    });
  };
}

const MAX_RESPONSE_BYTES = 1_048_576;

type FetchBody = string | URLSearchParams | Uint8Array | ArrayBuffer | null | undefined | ReadableStream;

/**
 * A `fetch` for the OpenID client whose connections pass the guard. Redirects are not
 * followed (the client asks for `manual`), responses are capped at 1 MiB, and the client's
 * timeout signal aborts the request.
 */
export function guardedFetch(allowLoopback: boolean) {
  const lookup = guardedLookup(allowLoopback);
  return (url: string, options: { method: string; headers: Record<string, string>; body?: FetchBody; signal?: AbortSignal }): Promise<Response> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal) !== 0 && !isReachableAddress(literal, allowLoopback)) {
        reject(new UnreachableAddressError(`${literal} is a private, loopback or link-local address`));
        return;
      }
      const body = options.body;
      if (body instanceof ReadableStream) {
        reject(new TypeError('streamed bodies are not sent'));
        return;
      }
      const payload = body === null || body === undefined ? undefined : typeof body === 'string' || body instanceof URLSearchParams ? String(body) : Buffer.from(body as Uint8Array);
      const client = target.protocol === 'https:' ? https : http;
      const request = client.request(
        target,
        { method: options.method, headers: options.headers, lookup, ...(options.signal ? { signal: options.signal } : {}) },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) request.destroy(new Error('response larger than 1 MiB'));
            else chunks.push(chunk);
          });
          response.on('error', reject);
          response.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              if (Array.isArray(value)) for (const item of value) headers.append(name, item);
              else if (value !== undefined) headers.set(name, value);
            }
            const status = response.statusCode ?? 502;
            const nullBody = status === 204 || status === 304;
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: response.statusMessage ?? '', headers }));
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
}
