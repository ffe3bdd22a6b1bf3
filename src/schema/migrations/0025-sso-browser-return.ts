import type { Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';

/**
 * Single sign-on for browser apps (the console): a sign-in may name where the browser goes
 * back to (`return_to`, a path of this server), and is then bound to the browser that
 * started it by a cookie whose digest is kept here, so a callback address made elsewhere
 * signs nobody in on another browser.
 */
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema.alterTable('sso_sign_ins').addColumn('return_to', 'text').execute();
  await db.schema.alterTable('sso_sign_ins').addColumn('browser_binding_hash', 'text').execute();
}
