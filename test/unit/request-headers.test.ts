import { describe, expect, it } from 'vitest';
import { AREA_CATALOGUES } from '../../src/areas.ts';
import { CatalogueConflictError, composeCatalogues, defineCatalogue } from '../../src/core/catalogue.ts';
import { loggerOptions } from '../../src/core/logger.ts';

describe('request headers areas declare', () => {
  it('are composed with the rest of the catalogue, and a secret one is redacted from every log line', () => {
    const catalogue = composeCatalogues(AREA_CATALOGUES);
    expect(catalogue.requestHeaders.get('X-PORTAL-ACCESS-CODE')).toEqual({ secret: true });
    const options = loggerOptions('info', 'json', ['X-PORTAL-ACCESS-CODE']) as { redact: { paths: string[] } };
    expect(options.redact.paths).toContain('req.headers["x-portal-access-code"]');
  });

  it('may not be declared by two areas, whatever their case', () => {
    const header = (area: string, name: string) => defineCatalogue({ area, requestHeaders: { [name]: { secret: false } }, messages: { en: {}, es: {} } });
    expect(() => composeCatalogues([header('one', 'X-Shared'), header('two', 'x-shared')])).toThrow(CatalogueConflictError);
  });
});
