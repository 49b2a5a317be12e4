import { Controller, Get, Module, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/**
 * The panel is a static page that only calls the public REST API. Every URL it uses is relative, so it works
 * behind a reverse proxy that mounts svc-sentry under a path prefix; the page's `<base href>` climbs from the
 * requested path back to /ui/. Frames are allowed (embed mode), scripts only from this origin.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors *",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The built assets: dist/src/web/public after `npm run build`, src/web/public when run from source (Jest). */
export function loadAssets(dir = join(__dirname, 'public')): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** `<base href>` for a path below /ui/: one `../` per '/' after /ui/, so relative URLs resolve from /ui/ whatever the prefix. */
export function baseHref(pathBelowUi: string): string {
  const depth = (pathBelowUi.match(/\//g) ?? []).length;
  return depth ? '../'.repeat(depth) : './';
}

@ApiExcludeController()
@Controller('ui')
export class WebController {
  private readonly assets = loadAssets();

  @Get()
  root(@Req() req: Request, @Res() res: Response): void {
    if (!req.path.endsWith('/')) {
      // /ui → ui/ (relative, so a prefix in front is kept)
      const q = req.originalUrl.indexOf('?');
      res.redirect(301, `ui/${q >= 0 ? req.originalUrl.slice(q) : ''}`);
      return;
    }
    this.page('', req, res);
  }

  @Get('*path')
  any(@Req() req: Request, @Res() res: Response): void {
    const below = req.path.replace(/^\/ui\//, '');
    const asset = /^assets\/([a-z0-9.-]+)$/.exec(below);
    if (asset) {
      const a = this.assets.get(asset[1]);
      if (!a || asset[1] === 'index.html') {
        res.status(404).type('text/plain').send('Not found');
        return;
      }
      this.send(req, res, a, 'no-cache');
      return;
    }
    this.page(below, req, res);
  }

  private page(below: string, req: Request, res: Response): void {
    const index = this.assets.get('index.html');
    if (!index) throw new Error('web panel assets are missing: run npm run build');
    const html = index.body.toString('utf8').replace('<base href="./" />', `<base href="${baseHref(below)}" />`);
    res.set({ ...SECURITY_HEADERS, 'Cache-Control': 'no-store', 'Content-Type': TYPES['.html'] });
    res.send(html);
  }

  private send(req: Request, res: Response, a: Asset, cache: string): void {
    res.set({ ...SECURITY_HEADERS, 'Cache-Control': cache, ETag: a.etag, 'Content-Type': a.type });
    if (req.headers['if-none-match'] === a.etag) {
      res.status(304).end();
      return;
    }
    res.send(a.body);
  }
}

/** Serves the developer-center panel at /ui/ (README: "Web panel"). */
@Module({ controllers: [WebController] })
export class WebModule {}
