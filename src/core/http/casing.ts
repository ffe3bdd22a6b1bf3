import { Kind, OptionalKind, Type, type TSchema } from '@sinclair/typebox';
import { ID_PATTERN } from './schemas.ts';

/**
 * One shape, two spellings: a response schema is written once in the contract's
 * snake_case, and a seed that documents camelCase (seed 002) gets a copy derived from it,
 * with its values converted by the same walk. The rules, applied to declared properties only
 * (a map's own keys, such as permission names, are data and stay as they are):
 * - `snake_case` keys become `camelCase`;
 * - integer ids (a key `id` or ending in `_id`) become strings, as those seeds type them.
 */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_whole, letter: string) => letter.toUpperCase());
}

const isIdKey = (key: string) => key === 'id' || key.endsWith('_id');

function stringIds(schema: TSchema): TSchema {
  if (schema[Kind] === 'Integer') return Type.String({ pattern: ID_PATTERN, description: schema.description });
  if (schema[Kind] === 'Union') return Type.Union((schema.anyOf as TSchema[]).map(stringIds), { description: schema.description });
  return schema;
}

/** The camelCase copy of a snake_case schema. */
export function camelSchema(schema: TSchema, title?: string): TSchema {
  switch (schema[Kind]) {
    case 'Object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties as Record<string, TSchema>).map(([key, property]) => {
          const converted = camelSchema(isIdKey(key) ? stringIds(property) : property);
          return [camelCase(key), property[OptionalKind] ? Type.Optional(converted) : converted];
        }),
      );
      const { properties: _properties, required: _required, [Kind]: _kind, ...options } = schema;
      // A titled shape inside keeps its name, marked as the camelCase copy (titles name OpenAPI components).
      const camelTitle = title ?? (typeof options.title === 'string' ? `${options.title}Camel` : undefined);
      return Type.Object(properties, { ...options, ...(camelTitle ? { title: camelTitle } : {}) });
    }
    case 'Array':
      return Type.Array(camelSchema(schema.items as TSchema), { description: schema.description });
    case 'Union':
      return Type.Union((schema.anyOf as TSchema[]).map((member) => camelSchema(member)), { description: schema.description });
    default:
      return schema;
  }
}

/** A value of a snake_case schema, spelled as its `camelSchema` copy. */
export function toCamelValue(schema: TSchema, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (schema[Kind]) {
    case 'Object': {
      const properties = schema.properties as Record<string, TSchema>;
      const source = value as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) {
        if (!(key in source)) continue;
        const field = source[key];
        result[camelCase(key)] = isIdKey(key) && typeof field === 'number' ? String(field) : toCamelValue(property, field);
      }
      return result;
    }
    case 'Array':
      return (value as unknown[]).map((item) => toCamelValue(schema.items as TSchema, item));
    case 'Union': {
      // Nullable(T) and friends: the member matching the value's own kind converts it.
      const members = schema.anyOf as TSchema[];
      const member = members.find((candidate) => (candidate[Kind] === 'Object' ? typeof value === 'object' && !Array.isArray(value) : candidate[Kind] === 'Array' ? Array.isArray(value) : false));
      return member ? toCamelValue(member, value) : value;
    }
    default:
      return value;
  }
}

/**
 * A request body validated against a `camelSchema` copy, read back into the snake_case
 * shape it was derived from (top-level fields; ids from strings to integers).
 */
export function fromCamelBody<T>(snakeSchema: TSchema, body: Record<string, unknown>): T {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(snakeSchema.properties as Record<string, TSchema>)) {
    const camel = camelCase(key);
    if (!(camel in body)) continue;
    const value = body[camel];
    result[key] = isIdKey(key) && typeof value === 'string' ? Number(value) : value;
  }
  return result as T;
}
