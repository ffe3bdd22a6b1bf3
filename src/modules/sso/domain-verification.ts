import { Resolver } from 'node:dns/promises';

/** The name whose TXT record proves a domain (`_tessera-verification.acme.com`). */
export const verificationRecordName = (domain: string) => `_tessera-verification.${domain}`;

/** The TXT values a domain currently publishes at its verification name; none when it has none (or the name does not exist). */
export type TxtLookup = (name: string) => Promise<string[]>;

/**
 * Looks TXT records up through Node's resolver, against DNS_SERVERS when configured (else the
 * system's). A record's strings are joined, as DNS splits long values into 255-byte chunks.
 */
export function createTxtLookup(servers: readonly string[]): TxtLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return async (name) => {
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw error;
    }
  };
}
