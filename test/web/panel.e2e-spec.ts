import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { API_TOKEN, startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { chromiumTool, launchBrowser, newContext as openContext, PREFIX, PrefixProxy, SHOTS, signIn as signInAt, startPrefixProxy } from './browser';

/**
 * The developer-center panel in a real browser (Debian's chromium driven by playwright-core), served by a real
 * svc-sentry on PostgreSQL against the Sentry stand-in, behind a reverse proxy that mounts it under /svc-sentry/.
 */
const ORG = 'acme';
const SEEDED = 22;

/** WCAG contrast ratio of every visible element matching the selectors, computed in the page from the used colours. */
async function lowestContrast(page: Page, selectors: string): Promise<{ ratio: number; where: string }> {
  return page.evaluate((sel) => {
    // Runs in the page (the test's TypeScript has no DOM types).
    const w = globalThis as any;
    const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = (rgb: number[]) => {
      const [r, g, b] = rgb.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const background = (el: any): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(w.getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c;
      }
      return [255, 255, 255];
    };
    let worst = { ratio: 21, where: '' };
    for (const el of Array.from<any>(w.document.querySelectorAll(sel))) {
      if (!el.offsetParent || !el.textContent?.trim()) continue;
      const fg = lum(parse(w.getComputedStyle(el).color));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < worst.ratio) worst = { ratio, where: `${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}` };
    }
    return worst;
  }, selectors);
}

chromiumTool.describe('web panel in a real browser, behind a path prefix', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let proxy: PrefixProxy;
  let browser: Browser;
  let ui: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Some latency so the browser can see the transitional states; a short retry budget so a failure settles quickly.
    standin = await startSentryStandin({ orgs: [ORG], latencyMs: 150 });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_RETRY_LIMIT: '2', SVC_SENTRY_RECONCILE_RETRY_DELAY: '1' }));
    proxy = await startPrefixProxy(t.url);
    ui = `${proxy.url}${PREFIX}/ui/`;
    browser = await launchBrowser();
    // Other app modules, more than one page of the list.
    for (let i = 0; i < SEEDED; i++) {
      const r = await t.api('PUT', `/api/v1/apps/shop-${String(i).padStart(2, '0')}/modules/default/monitoring`, { enabled: true });
      expect(r.status).toBe(202);
    }
    await waitFor(async () => {
      const r = await t.api('GET', `/api/v1/monitoring?state=ready&limit=100`);
      return r.body.total === SEEDED && r.body.items.every((m: any) => Object.values(m.environments).every((s) => s === 'ready'));
    }, 120_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await t?.close();
    await standin?.close();
  });

  const newContext = (opts: { locale?: string } = {}) => openContext(browser, proxy.url, opts);
  const signIn = (page: Page, token = API_TOKEN) => signInAt(page, ui, token);

  it('first load of the page is under 100 KB of JavaScript and CSS and logs no console error (favicon included)', async () => {
    const { context, page, problems } = await newContext();
    const bytes: Record<string, number> = {};
    const reads: Array<Promise<void>> = [];
    page.on('response', (r) => {
      const type = r.request().resourceType();
      if (type === 'script' || type === 'stylesheet') reads.push(r.body().then((b) => void (bytes[r.url()] = b.length)));
    });
    await page.goto(ui);
    await page.getByLabel('API token').waitFor();
    await page.waitForLoadState('networkidle');
    await Promise.all(reads);
    const total = Object.values(bytes).reduce((a, b) => a + b, 0);
    console.log(JSON.stringify({ suite: 'web', firstLoadJsCssBytes: total, files: bytes }));
    expect(Object.keys(bytes).length).toBeGreaterThanOrEqual(2);
    expect(total).toBeLessThan(100 * 1024);
    // The icon is requested under the prefix (a root /favicon.ico would be a 404 outside svc-sentry).
    await waitFor(async () => proxy.paths.some((p) => p === `${PREFIX}/ui/assets/favicon.svg`), 10_000);
    expect(proxy.paths.filter((p) => !p.startsWith(`${PREFIX}/`))).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a wrong token shows a clear sign-in error and keeps nothing', async () => {
    const { context, page } = await newContext();
    await signIn(page, 'not-the-right-token');
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('Sign-in failed: this API token is not accepted');
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    expect(await page.locator('body').innerText()).not.toMatch(/\b(null|undefined)\b/);
    await page.screenshot({ path: join(SHOTS, 'signin-error.png') });
    await context.close();
  });

  it('signs in, finds tnfood/default, flips it on, watches both environments reach ready, copies the DSN, flips it off; the audit lists both', async () => {
    const { context, page, problems } = await newContext();
    await signIn(page);
    await page.getByRole('heading', { name: 'App modules', exact: true }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('svc-sentry.token'))).toBe(API_TOKEN);

    // The list: paginated, filterable.
    await expect(page.locator('[data-role=range]').textContent()).resolves.toBe(`1–20 of ${SEEDED}`);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('[data-role=range]', { hasText: `21–${SEEDED} of ${SEEDED}` }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(SEEDED - 20);
    await page.screenshot({ path: join(SHOTS, 'list.png'), fullPage: true });

    // tnfood/default was never seen: the filter finds nothing and offers to open it.
    await page.getByLabel('App', { exact: true }).fill('tnfood');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('[data-role=empty]').waitFor();
    expect(await page.getByLabel('App code').inputValue()).toBe('tnfood');
    expect(await page.getByLabel('Module', { exact: true }).inputValue()).toBe('default');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(`${ui}apps/tnfood/modules/default`);
    await page.getByRole('heading', { name: 'tnfood/default' }).waitFor();
    const toggle = page.getByRole('switch', { name: 'Monitoring' });
    await page.getByText('Monitoring was never turned on for this app module.').waitFor();
    expect(await page.locator('body').innerText()).not.toMatch(/\b(null|undefined)\b/);
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    expect(await page.getByLabel('Plan', { exact: true }).inputValue()).toBe('default');

    // Flip it on with the keyboard.
    await toggle.focus();
    await page.keyboard.press('Space');
    await page.locator('article[data-env=stag][data-state=pending], article[data-env=stag][data-state=provisioning]').waitFor();
    await page.locator('[data-role=progress] progress').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'provisioning.png'), fullPage: true });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    for (const env of ['stag', 'prod']) await page.locator(`article[data-env=${env}][data-state=ready]`).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, 'ready.png'), fullPage: true });

    // What it shows per environment: the upstream project link, the public DSN, where the Secret would be, the snippets.
    const api = (await t.api('GET', '/api/v1/apps/tnfood/modules/default/monitoring')).body;
    const stag = page.locator('article[data-env=stag]');
    expect(await stag.locator('[data-role=project]').getAttribute('href')).toBe(api.environments.stag.project.adminUrl);
    expect(await stag.getByLabel('Public DSN (stag)').inputValue()).toBe(api.environments.stag.dsn);
    expect(await stag.locator('[data-role=secret]').textContent()).toMatch(/No Secret is written|in namespace/);
    await expect(page.locator('pre').allTextContents()).resolves.toEqual([expect.stringContaining('SENTRY_DSN'), expect.stringContaining('SENTRY_DSN')]);

    // Copy the DSN: the clipboard holds the public DSN, and the copy is announced.
    await stag.getByRole('button', { name: 'Copy DSN (stag)' }).click();
    await page.locator('#announce', { hasText: 'DSN copied to the clipboard.' }).waitFor();
    const copied = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText() as Promise<string>);
    expect(copied).toBe(api.environments.stag.dsn);
    expect(copied).toMatch(/^http:\/\/[0-9a-f]{32}@[^/]+\/\d+$/);

    // Never a token or a key secret on the page.
    const html = await page.content();
    expect(html).not.toContain(API_TOKEN);
    for (const env of ['stag', 'prod']) {
      const keys = standin.state.keys(ORG, api.environments[env].project.slug);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(html).not.toContain(k.secret);
    }

    // Contrast of text on its background, at least 4.5:1.
    const contrast = await lowestContrast(page, 'body, h1, h2, h3, p, a, button, label, .badge, dt, dd, th, td, caption');
    expect(contrast.ratio).toBeGreaterThanOrEqual(4.5);

    // Flip it off; both environments end disabled.
    await toggle.click();
    for (const env of ['stag', 'prod']) await page.locator(`article[data-env=${env}][data-state=disabled]`).waitFor({ timeout: 60_000 });
    expect(await toggle.getAttribute('aria-checked')).toBe('false');

    // The audit trail lists both operations, newest first, both settled.
    await page.locator('table[data-role=audit] tr[data-kind=disable][data-state=succeeded]').waitFor({ timeout: 30_000 });
    const kinds = await page
      .locator('table[data-role=audit] tbody tr')
      .evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-kind')}:${r.getAttribute('data-state')}`));
    expect(kinds).toEqual(['disable:succeeded', 'enable:succeeded']);
    await page.screenshot({ path: join(SHOTS, 'disabled.png'), fullPage: true });

    // Back in the list, the filter finds it.
    await page.getByRole('link', { name: 'App modules', exact: true }).click();
    await page.getByLabel('App', { exact: true }).fill('tnfood');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tr[data-module="tnfood/default"]').waitFor();

    // Embed mode: no navigation or header, the toggle is there (same tab: the session token is kept).
    await page.goto(`${ui}apps/tnfood/modules/default?embed=1`);
    await page.getByRole('switch', { name: 'Monitoring' }).waitFor();
    expect(await page.locator('nav').count()).toBe(0);
    expect(await page.locator('header').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'All app modules' }).count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'embed.png'), fullPage: true });

    // Chinese labels with ?lang=zh-CN.
    await page.goto(`${ui}apps/tnfood/modules/default?lang=zh-CN`);
    await page.getByRole('switch', { name: '监控' }).waitFor();
    await page.getByRole('heading', { name: '环境' }).waitFor();
    await page.getByRole('heading', { name: '应用 tnfood 的操作记录' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('article[data-env=stag] .badge').first().textContent()).toBe('已停用');
    await page.screenshot({ path: join(SHOTS, 'zh-CN.png'), fullPage: true });

    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it('embeds in an iframe of another origin (a developer center): sign in inside the frame, then the module without navigation', async () => {
    // The "developer center": a page on another origin whose iframe points at the panel's embed URL.
    const frameUrl = `${ui}apps/tnfood/modules/default?embed=1&lang=en`;
    const host = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>developer center</title><h1>Developer center</h1><iframe title="Monitoring" src="${frameUrl}" width="1000" height="800"></iframe>`,
      );
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
    try {
      const { context, page, problems } = await newContext();
      await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
      const frame = page.frameLocator('iframe[title=Monitoring]');
      await frame.getByLabel('API token').fill(API_TOKEN);
      await frame.getByRole('button', { name: 'Sign in' }).click();
      await frame.getByRole('switch', { name: 'Monitoring' }).waitFor();
      await frame.getByRole('heading', { name: 'tnfood/default' }).waitFor();
      expect(await frame.locator('nav, header, .skip').count()).toBe(0);
      expect(await frame.locator('body').innerText()).not.toMatch(/\b(null|undefined)\b/);
      await page.screenshot({ path: join(SHOTS, 'embedded-in-iframe.png') });
      expect(problems).toEqual([]);
      await context.close();
    } finally {
      await new Promise((r) => host.close(r));
    }
  });

  it('takes the language from the browser when ?lang= is absent', async () => {
    const { context, page, problems } = await newContext({ locale: 'zh-CN' });
    await page.goto(ui);
    await page.getByRole('heading', { name: '登录 svc-sentry' }).waitFor();
    await page.getByLabel('API 令牌').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('renders per-environment conditions with reason and message when the API answers them, and what to do for the false one', async () => {
    const { context, page, problems } = await newContext();
    await signIn(page);
    await page.getByRole('heading', { name: 'App modules', exact: true }).waitFor();
    // The real answer for a ready module, with conditions added in the shape the reconciler reports them.
    const conditions = [
      { type: 'ProjectReady', status: 'True', reason: 'Created', message: 'project shop-00-default-stag' },
      { type: 'KeyReady', status: 'True', reason: 'Created' },
      { type: 'SecretReady', status: 'False', reason: 'NamespaceNotFound', message: 'namespace "shop-00-stag" not found' },
      { type: 'MembersSynced', status: 'Unknown', reason: 'Pending' },
    ];
    await page.route('**/svc-sentry/api/v1/apps/shop-00/modules/default/monitoring', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.environments.stag.conditions = conditions;
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`${ui}apps/shop-00/modules/default`);
    const stag = page.locator('article[data-env=stag]');
    await stag.locator('[data-role=conditions]').waitFor();
    const shown = await stag
      .locator('[data-role=conditions] li')
      .evaluateAll((items) => items.map((li) => `${li.getAttribute('data-condition')}=${li.getAttribute('data-status')}`));
    expect(shown).toEqual(['ProjectReady=True', 'KeyReady=True', 'SecretReady=False', 'MembersSynced=Unknown']);
    const text = await stag.textContent();
    expect(text).toContain('NamespaceNotFound');
    expect(text).toContain('namespace "shop-00-stag" not found');
    expect(await stag.locator('[data-role=todo]').textContent()).toContain('Check that the namespace exists');
    // prod shows the conditions the reconciler reported (unaltered): all four True for a ready environment.
    const prod = await page
      .locator('article[data-env=prod] [data-role=conditions] li')
      .evaluateAll((items) => items.map((li) => `${li.getAttribute('data-condition')}=${li.getAttribute('data-status')}`));
    expect(prod).toEqual(['ProjectReady=True', 'KeyReady=True', 'SecretReady=True', 'MembersSynced=True']);
    await page.screenshot({ path: join(SHOTS, 'conditions.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('an upstream failure shows the failed state, its reason and what to do', async () => {
    const { context, page } = await newContext();
    await signIn(page);
    await page.getByRole('heading', { name: 'App modules', exact: true }).waitFor();
    await page.goto(`${ui}apps/broken/modules/default`);
    const toggle = page.getByRole('switch', { name: 'Monitoring' });
    await toggle.waitFor();
    standin.setFaults({ errorRate: 1 });
    try {
      await toggle.click();
      for (const env of ['stag', 'prod']) await page.locator(`article[data-env=${env}][data-state=failed]`).waitFor({ timeout: 90_000 });
    } finally {
      standin.setFaults({ latencyMs: 150 });
    }
    const api = (await t.api('GET', '/api/v1/apps/broken/modules/default/monitoring')).body;
    const stag = page.locator('article[data-env=stag]');
    const reason: string = api.environments.stag.error ?? api.environments.stag.conditions?.find?.((c: any) => c.status === 'False')?.message;
    expect(reason).toBeTruthy();
    expect(await stag.textContent()).toContain(reason);
    expect(await stag.locator('[data-role=todo]').textContent()).toMatch(/What to do: .*(Sentry|retry|retries)/);
    expect(await stag.locator('.badge').first().textContent()).toBe('failed');
    await page.screenshot({ path: join(SHOTS, 'failed.png'), fullPage: true });
    await context.close();
  }, 150_000);
});
