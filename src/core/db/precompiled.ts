import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/**
 * A query built by Kysely once per database and then rerun as compiled SQL with new
 * parameter values. For a hot, many-join query, building the Kysely tree costs more
 * than the database's work; the SQL text never changes, only the values.
 *
 * Each parameter is built from a unique placeholder value, then located among the
 * compiled parameters; values that are not placeholders stay as compiled.
 *
 * @example
 * const tenantsBySlug = precompile((db, p: { slug: string }) => db.selectFrom('tenants').selectAll().where('slug', '=', p.slug));
 * const [tenant] = await tenantsBySlug(db, { slug: 'acme' });
 */
export function precompile<DB, Params extends Record<string, string | number | null>, Row>(
  build: (db: Kysely<DB>, params: Params) => Compilable<Row>,
): (db: Kysely<DB>, params: Params) => Promise<Row[]> {
  const compiledByDb = new WeakMap<Kysely<DB>, { sql: string; slots: Array<keyof Params | { value: unknown }> }>();

  function compiledFor(db: Kysely<DB>, names: Array<keyof Params>) {
    let compiled = compiledByDb.get(db);
    if (!compiled) {
      const placeholders = Object.fromEntries(names.map((name, i) => [name, `\u0000param-${i}-${String(name)}`]));
      const query = build(db, placeholders as Params).compile();
      const slots = query.parameters.map((value) => {
        const index = Object.values(placeholders).indexOf(value as string);
        return index === -1 ? { value } : (names[index] as keyof Params);
      });
      compiled = { sql: query.sql, slots };
      compiledByDb.set(db, compiled);
    }
    return compiled;
  }

  return async (db, params) => {
    const { sql, slots } = compiledFor(db, Object.keys(params));
    const values = slots.map((slot) => (typeof slot === 'object' ? slot.value : params[slot]));
    const result = await db.executeQuery<Row>(CompiledQuery.raw(sql, values));
    return result.rows;
  };
}
