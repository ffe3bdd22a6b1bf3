import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import type { AccessClaims, AccessTokens } from '../jwt.ts';
import type { Policy } from '../policy.ts';

export const API_KEY_PREFIX = 'tsk_';

export type Credential = { kind: 'session'; claims: AccessClaims } | { kind: 'api_key'; secret: string };

/** The bearer secret of the Authorization header; a header that is not a well-formed bearer is a 401. */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(header);
  if (!match?.[1]) throw new AppError('AUTH.INVALID_TOKEN');
  return match[1];
}

/**
 * Step 2, the credential: none on anonymous routes (a stray header is ignored), an API
 * key by its prefix, else an access token verified in memory (401 when it does not verify).
 * Whether the credential is still live is known only after the load.
 */
export async function requestCredential(
  request: FastifyRequest,
  policy: Policy,
  accessTokens: Pick<AccessTokens, 'verify'>,
): Promise<Credential | undefined> {
  if (policy.access === 'anonymous') return undefined;
  const secret = bearerOf(request);
  if (secret === undefined) return undefined;
  if (secret.startsWith(API_KEY_PREFIX)) return { kind: 'api_key', secret };
  return { kind: 'session', claims: await accessTokens.verify(secret) };
}
