import { existsSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requireTool } from '../harness/prerequisites';
import { API_TOKEN } from '../support/app';

/**
 * Shared by the web suites: Debian's chromium through playwright-core (a prerequisite like any tool: visibly skipped
 * outside CI when missing, failing under CI=true; SVC_SENTRY_TEST_TOOL_CHROMIUM points elsewhere), a path-prefix
 * proxy, and the problems a page logs.
 */
export const chromiumTool = requireTool('chromium', 'apt-get install -y chromium');

/** The absolute path playwright needs as executablePath. */
function executable(command: string): string {
  if (isAbsolute(command)) return command;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, command))) return join(dir, command);
  return command;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: the suites run as root in CI.
  return chromium.launch({ executablePath: executable(chromiumTool.command), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export const PREFIX = '/svc-sentry';
export const SHOTS = join(__dirname, '..', '..', '.cache', 'screenshots', 'web');

export interface PrefixProxy {
  server: Server;
  url: string;
  /** Every path the browser asked the proxy for. */
  paths: string[];
  close(): Promise<void>;
}

/** A tiny reverse proxy on 127.0.0.1: /svc-sentry/… goes to svc-sentry with the prefix stripped, anything else is 404. */
export function startPrefixProxy(target: string): Promise<PrefixProxy> {
  const t = new URL(target);
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (!req.url?.startsWith(`${PREFIX}/`) && req.url !== PREFIX) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not under the prefix');
      return;
    }
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url.slice(PREFIX.length) || '/', headers: { ...req.headers, host: t.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        paths,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

/** A browser context whose console errors, page errors, failed requests and HTTP errors are collected in `problems`. */
export async function newContext(
  browser: Browser,
  origin: string,
  opts: { locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale: opts.locale ?? 'en-US', viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    // SVC_SENTRY_TEST_WEB_DEBUG=1 prints the page's console while a suite runs.
    if (process.env.SVC_SENTRY_TEST_WEB_DEBUG) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.stack ?? e.message}`));
  // A request the browser itself cancelled is not a failure: one of a document the test has navigated away from, or
  // the browser's own favicon fetch (cancelled when the next page.goto comes while it is in flight; a missing icon still
  // shows as an HTTP error below). Any other failed request is.
  let documents = 0;
  const issuedIn = new WeakMap<object, number>();
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) documents++;
  });
  page.on('request', (r) => issuedIn.set(r, documents));
  page.on('requestfailed', (r) => {
    const errorText = r.failure()?.errorText;
    const cancelled = errorText === 'net::ERR_ABORTED' && (issuedIn.get(r) !== documents || /\/favicon\.svg$/.test(new URL(r.url()).pathname));
    if (!cancelled) problems.push(`request failed: ${r.url()} ${errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return { context, page, problems };
}

/** Signs in on the panel's first page with the given token (the suites' API token by default). */
export async function signIn(page: Page, ui: string, token = API_TOKEN): Promise<void> {
  await page.goto(ui);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
