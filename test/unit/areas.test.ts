import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AREA_CATALOGUES } from '../../src/areas.ts';
import { composeCatalogues, type AnyCatalogue } from '../../src/core/catalogue.ts';

const MODULES = path.resolve(import.meta.dirname, '../../src/modules');

/** Every catalogue an area file under src/modules declares. */
async function declaredCatalogues(): Promise<AnyCatalogue[]> {
  const files = readdirSync(MODULES, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.catalogue.ts'));
  const modules = await Promise.all(files.map((file) => import(path.join(MODULES, file)) as Promise<Record<string, unknown>>));
  return modules.flatMap((module) => Object.values(module)).filter((value): value is AnyCatalogue => typeof value === 'object' && value !== null && 'area' in value && 'messages' in value);
}

describe('the composed areas', () => {
  it('compose every catalogue an area under src/modules declares (a registered area left out would answer its codes as 500s)', async () => {
    const declared = await declaredCatalogues();
    expect(declared.length).toBeGreaterThanOrEqual(10);
    expect(declared.filter((catalogue) => !AREA_CATALOGUES.includes(catalogue)).map((catalogue) => catalogue.area)).toEqual([]);
  });

  it('declare a status and an en and es message for every error code, and no key twice', () => {
    const catalogue = composeCatalogues(AREA_CATALOGUES);
    for (const area of AREA_CATALOGUES) {
      for (const code of Object.keys(area.errors)) {
        expect(catalogue.declaresError(code)).toBe(true);
        expect(area.messages.en[code as never]).toBeTruthy();
        expect(area.messages.es[code as never]).toBeTruthy();
      }
    }
  });
});
