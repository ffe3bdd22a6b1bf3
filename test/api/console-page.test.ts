import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** The console's files as an https install serves them (the browser tests run over http). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { PUBLIC_URL: 'https://console.example.com' } });
});
afterAll(async () => t.close());

describe('the console over https', () => {
  it('isolates its window from openers, and bundles its script and style on first request', async () => {
    const page = await t.request({ method: 'GET', url: '/console/w/7/members' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const script = await t.request({ method: 'GET', url: '/console/assets/console.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // The bundle carries the console's own code and the typed client's, not sources to fetch.
    expect(script.body).toContain('/api/v1/auth/refresh');
    expect(script.body).not.toMatch(/^import /m);
    const style = await t.request({ method: 'GET', url: '/console/assets/console.css' });
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(style.body).toContain('.layout');
  });

  it('serves no other file under its assets', async () => {
    for (const url of ['/console/assets/main.tsx', '/console/assets/../../package.json', '/console/assets/%2e%2e/%2e%2e/package.json']) {
      const response = await t.request({ method: 'GET', url });
      // Under /console it is the page itself (the console's router shows "not found"); a path that
      // climbs out is another route, here none (404): never a file of the repository.
      expect([200, 404], url).toContain(response.statusCode);
      if (response.statusCode === 200) expect(response.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(response.body, url).not.toContain('"dependencies"');
    }
  });
});
