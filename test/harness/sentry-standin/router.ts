/** Route table plumbing + shared validation for the management API (/api/0/). */
import { HttpError, type Reply } from './http-util';
import type { StandinStore } from './state';
import type { Org } from './types';

export interface Ctx {
  store: StandinStore;
  url: URL;
  baseUrl: string;
  params: Record<string, string>;
  body: any;
  org: Org;
  pageSize: number;
}

export interface Route {
  method: string;
  /** e.g. '/teams/:org/:team/projects/' (relative to /api/0). */
  template: string;
  /** Stats name, e.g. 'POST /teams/projects'. */
  name: string;
  /** Any one of these scopes is enough. */
  scopes: readonly string[];
  handler(ctx: Ctx): Reply;
}

export interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
}

export function compile(routes: Route[]): CompiledRoute[] {
  return routes.map((r) => {
    const keys: string[] = [];
    const src = r.template.replace(/:([a-z]+)/g, (_m, k: string) => {
      keys.push(k);
      return '([^/]+)';
    });
    return { ...r, keys, regex: new RegExp(`^${src}$`) };
  });
}

/** Matches `path` (relative to /api/0, trailing slash optional). */
export function match(
  routes: CompiledRoute[],
  method: string,
  path: string,
): { route: CompiledRoute; params: Record<string, string> } | { methodNotAllowed: boolean } {
  const p = path.endsWith('/') ? path : `${path}/`;
  let pathMatched = false;
  for (const r of routes) {
    const m = r.regex.exec(p);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    return { route: r, params };
  }
  return { methodNotAllowed: pathMatched };
}

export const read = (res: string): string[] => [`${res}:read`, `${res}:write`, `${res}:admin`];
export const write = (res: string): string[] => [`${res}:write`, `${res}:admin`];
export const admin = (res: string): string[] => [`${res}:admin`];

// ---- validation ----
export const SLUG_RE = /^(?![0-9]+$)[a-z0-9_-]+$/;
export const SLUG_MESSAGE = 'Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric.';
export const tooLong = (n: number): string => `Ensure this field has no more than ${n} characters.`;

export const RESERVED_PROJECT_SLUGS = new Set([
  'api-keys',
  'audit-log',
  'auth',
  'avatar',
  'billing',
  'dashboard',
  'integrations',
  'issues',
  'members',
  'new',
  'organizations',
  'plugins',
  'projects',
  'rate-limits',
  'releases',
  'repos',
  'settings',
  'sso',
  'stats',
  'teams',
]);

export const PLATFORMS = new Set([
  'other',
  'python',
  'python-django',
  'python-flask',
  'python-fastapi',
  'python-celery',
  'python-tornado',
  'python-pyramid',
  'python-bottle',
  'python-aiohttp',
  'python-starlette',
  'python-sanic',
  'python-falcon',
  'python-rq',
  'python-awslambda',
  'python-gcpfunctions',
  'python-wsgi',
  'python-asgi',
  'python-chalice',
  'python-pylons',
  'python-quart',
  'python-serverless',
  'python-tryton',
  'node',
  'node-express',
  'node-nestjs',
  'node-koa',
  'node-hapi',
  'node-fastify',
  'node-connect',
  'node-awslambda',
  'node-azurefunctions',
  'node-gcpfunctions',
  'javascript',
  'javascript-react',
  'javascript-vue',
  'javascript-angular',
  'javascript-nextjs',
  'javascript-nuxt',
  'javascript-svelte',
  'javascript-sveltekit',
  'javascript-remix',
  'javascript-astro',
  'javascript-ember',
  'javascript-gatsby',
  'go',
  'go-http',
  'go-gin',
  'go-echo',
  'go-fiber',
  'java',
  'java-spring-boot',
  'java-spring',
  'java-log4j2',
  'java-logback',
  'php',
  'php-laravel',
  'php-symfony',
  'ruby',
  'ruby-rails',
  'ruby-rack',
  'dotnet',
  'dotnet-aspnetcore',
  'elixir',
  'rust',
  'android',
  'apple',
  'apple-ios',
  'apple-macos',
  'flutter',
  'dart',
  'react-native',
  'kotlin',
  'native',
  'unity',
  'bun',
  'deno',
]);

/** Collects per-field errors (DRF style `{field: [msg]}`) and throws one 400. */
export class FieldErrors {
  private readonly errors: Record<string, string[]> = {};
  add(field: string, msg: string): void {
    (this.errors[field] ??= []).push(msg);
  }
  throwIfAny(): void {
    if (Object.keys(this.errors).length) throw new HttpError(400, this.errors);
  }
}

export function requireObjectBody(body: unknown): Record<string, any> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, { non_field_errors: ['Invalid data. Expected a dictionary, but got ' + typeof body + '.'] });
  }
  return body as Record<string, any>;
}

/** Validates an optional slug field; returns it or undefined. */
export function checkSlug(errs: FieldErrors, field: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errs.add(field, 'Not a valid string.');
    return undefined;
  }
  if (value.length > max) errs.add(field, tooLong(max));
  else if (!SLUG_RE.test(value)) errs.add(field, SLUG_MESSAGE);
  return value;
}
