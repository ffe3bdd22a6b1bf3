import { readFileSync } from 'node:fs';

/** Tessera's version, as package.json gives it: in the start-up log and the OpenAPI document. */
export const TESSERA_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
