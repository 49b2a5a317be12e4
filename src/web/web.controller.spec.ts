import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { baseHref, WebModule } from './web.controller';

describe('web panel assets', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await NestFactory.create(WebModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app?.close());

  it('climbs from any path below /ui/ back to /ui/ with relative base hrefs', () => {
    expect(baseHref('')).toBe('./');
    expect(baseHref('apps')).toBe('./');
    expect(baseHref('apps/tnfood/modules/default')).toBe('../../../');
    expect(baseHref('apps/tnfood/modules/default/')).toBe('../../../../');
    const resolve = (page: string) => new URL(baseHref(page.replace(/^\/svc-sentry\/ui\//, '')), `http://h${page}`).pathname;
    expect(resolve('/svc-sentry/ui/apps/tnfood/modules/default')).toBe('/svc-sentry/ui/');
    expect(resolve('/svc-sentry/ui/apps/tnfood/modules/default/')).toBe('/svc-sentry/ui/');
    expect(resolve('/svc-sentry/ui/')).toBe('/svc-sentry/ui/');
  });

  it('redirects /ui to ui/ relatively (a path prefix in front is kept), query included', async () => {
    const r = await fetch(`${url}/ui?lang=zh-CN`, { redirect: 'manual' });
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('ui/?lang=zh-CN');
  });

  it('serves the page for every route below /ui/ with its base href, a strict CSP and no caching', async () => {
    const r = await fetch(`${url}/ui/apps/tnfood/modules/default?embed=1`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await r.text();
    expect(html).toContain('<base href="../../../" />');
    expect(html).not.toMatch(/src="\/|href="\//);
  });

  it('serves assets with their type and an ETag (304 when unchanged), and 404 for unknown ones', async () => {
    const js = await fetch(`${url}/ui/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${url}/ui/assets/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${url}/ui/assets/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${url}/ui/assets/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
    for (const p of ['nope.js', 'index.html']) expect([p, (await fetch(`${url}/ui/assets/${p}`)).status]).toEqual([p, 404]);
    // Anything that is not a plain asset name is a page route: the HTML page, never a file from elsewhere.
    for (const p of ['..%2Fweb.controller.ts', '%2e%2e/web.controller.ts', 'sub/app.js']) {
      const r = await fetch(`${url}/ui/assets/${p}`);
      expect([p, r.status, r.headers.get('content-type')]).toEqual([p, 200, 'text/html; charset=utf-8']);
    }
  });
});
