import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../../src/core/config.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('every environment variable Tessera reads is documented', () => {
  it('in the README configuration table and in .env.example, and nothing else is', () => {
    const readmeRows = [...read('README.md').matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    const exampleLines = [...read('.env.example').matchAll(/^# ([A-Z0-9_]+)=/gm)].map((match) => match[1]);
    expect(new Set(readmeRows)).toEqual(new Set(ENV_VARIABLES));
    expect(new Set(exampleLines)).toEqual(new Set(ENV_VARIABLES));
  });
});
