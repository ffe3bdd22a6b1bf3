import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildOpenApiDocument, CLIENT_SCHEMA_PATH, renderClientSchema } from './client-schema.ts';

/** npm run client:generate: writes client/schema.d.ts from the app's own OpenAPI document. */
await writeFile(CLIENT_SCHEMA_PATH, await renderClientSchema(await buildOpenApiDocument()));
process.stdout.write(`wrote ${path.relative(process.cwd(), CLIENT_SCHEMA_PATH)}\n`);
