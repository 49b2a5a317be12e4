/** Project and client-key routes. */
import { randomBytes } from 'node:crypto';
import { HttpError, notFound } from './http-util';
import { paginate } from './pagination';
import { admin, checkSlug, type Ctx, FieldErrors, PLATFORMS, read, requireObjectBody, RESERVED_PROJECT_SLUGS, type Route, tooLong, write } from './router';
import { slugify } from './state';
import type { Key, KeyRateLimit, Project } from './types';
import { keyView, projectDetailView, projectView } from './views';

const USE_CASES = new Set(['user', 'profiling', 'tempest', 'demo']);

function project(ctx: Ctx): Project {
  const p = ctx.store.project(ctx.org.slug, ctx.params.project);
  if (!p) throw notFound();
  return p;
}

function key(ctx: Ctx): Key {
  const k = ctx.store.keys(project(ctx)).find((x) => x.id === ctx.params.key);
  if (!k) throw notFound();
  return k;
}

function checkPlatform(errs: FieldErrors, value: unknown): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  if (typeof value !== 'string' || !PLATFORMS.has(value)) {
    errs.add('platform', 'Invalid platform');
    return undefined;
  }
  return value;
}

function checkRateLimit(errs: FieldErrors, value: unknown): KeyRateLimit | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    errs.add('rateLimit', 'Invalid data. Expected a dictionary.');
    return undefined;
  }
  const v = value as Record<string, unknown>;
  const count = v.count ?? null;
  const window = v.window ?? null;
  if (count !== null && !(Number.isInteger(count) && (count as number) >= 0)) {
    errs.add('rateLimit', 'count: A valid integer >= 0 is required.');
  }
  if (window !== null && !(Number.isInteger(window) && (window as number) >= 0 && (window as number) <= 86400)) {
    errs.add('rateLimit', 'window: A valid integer between 0 and 86400 is required.');
  }
  return { window: window as number | null, count: count as number | null };
}

function checkKeyName(errs: FieldErrors, value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') errs.add('name', 'Not a valid string.');
  else if (value.length > 64) errs.add('name', tooLong(64));
  return value as string;
}

function createProject(ctx: Ctx): Project {
  const body = requireObjectBody(ctx.body);
  const team = ctx.store.team(ctx.org.slug, ctx.params.team);
  if (!team) throw notFound('Team not found.');
  const errs = new FieldErrors();
  const name: unknown = body.name;
  if (typeof name !== 'string' || name.trim() === '') errs.add('name', 'This field is required.');
  else if (name.length > 50) errs.add('name', tooLong(50));
  else if (RESERVED_PROJECT_SLUGS.has(name)) errs.add('name', `The name "${name}" is reserved and not allowed.`);
  const slug = checkSlug(errs, 'slug', body.slug, 100);
  if (slug && RESERVED_PROJECT_SLUGS.has(slug)) errs.add('slug', `The slug "${slug}" is reserved and not allowed.`);
  const platform = checkPlatform(errs, body.platform);
  if (body.default_rules !== undefined && typeof body.default_rules !== 'boolean') errs.add('default_rules', 'Must be a valid boolean.');
  errs.throwIfAny();

  let finalSlug: string;
  if (slug) {
    if (ctx.store.slugTaken(ctx.org.slug, slug)) throw new HttpError(409, { detail: 'A project with this slug already exists.' });
    finalSlug = slug;
  } else {
    // Derived from the name; a collision gets a random suffix, like Sentry.
    const base = slugify(name as string) || 'project';
    finalSlug = /^[0-9]+$/.test(base) ? `p-${base}` : base;
    while (ctx.store.slugTaken(ctx.org.slug, finalSlug) || RESERVED_PROJECT_SLUGS.has(finalSlug)) {
      finalSlug = `${base.slice(0, 47)}-${randomBytes(2).toString('hex').slice(0, 2)}`;
    }
  }
  return ctx.store.createProject(ctx.org.slug, team, {
    slug: finalSlug,
    name: name as string,
    platform: platform ?? null,
    defaultRules: body.default_rules ?? true,
  });
}

export const projectRoutes: Route[] = [
  {
    method: 'GET',
    template: '/organizations/:org/projects/',
    name: 'GET /organizations/projects',
    scopes: [...read('org'), ...read('project')],
    handler: (ctx) => {
      const page = paginate(ctx.store.projects(ctx.org.slug), ctx.url, ctx.baseUrl, ctx.pageSize);
      return { status: 200, body: page.items.map((p) => projectView(ctx.store, p)), headers: { Link: page.link } };
    },
  },
  {
    method: 'GET',
    template: '/teams/:org/:team/projects/',
    name: 'GET /teams/projects',
    scopes: read('project'),
    handler: (ctx) => {
      const team = ctx.store.team(ctx.org.slug, ctx.params.team);
      if (!team) throw notFound('Team not found.');
      const all = ctx.store.projects(ctx.org.slug).filter((p) => p.teamIds.includes(team.id));
      const page = paginate(all, ctx.url, ctx.baseUrl, ctx.pageSize);
      return { status: 200, body: page.items.map((p) => projectView(ctx.store, p)), headers: { Link: page.link } };
    },
  },
  {
    method: 'POST',
    template: '/teams/:org/:team/projects/',
    name: 'POST /teams/projects',
    scopes: [...write('project'), ...write('org')],
    handler: (ctx) => ({ status: 201, body: projectView(ctx.store, createProject(ctx)) }),
  },
  {
    method: 'GET',
    template: '/projects/:org/:project/',
    name: 'GET /projects',
    scopes: read('project'),
    handler: (ctx) => ({ status: 200, body: projectDetailView(ctx.store, project(ctx), ctx.org, ctx.baseUrl) }),
  },
  {
    method: 'PUT',
    template: '/projects/:org/:project/',
    name: 'PUT /projects',
    scopes: write('project'),
    handler: (ctx) => {
      const body = requireObjectBody(ctx.body);
      const p = project(ctx);
      const errs = new FieldErrors();
      if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 200 || !body.name.trim())) {
        errs.add('name', typeof body.name === 'string' && body.name.length > 200 ? tooLong(200) : 'Not a valid name.');
      }
      const slug = checkSlug(errs, 'slug', body.slug, 100);
      if (slug && slug !== p.slug && (ctx.store.slugTaken(ctx.org.slug, slug) || RESERVED_PROJECT_SLUGS.has(slug))) {
        errs.add('slug', `Another project (${slug}) is already using that slug`);
      }
      const platform = checkPlatform(errs, body.platform);
      errs.throwIfAny();
      if (typeof body.name === 'string') p.name = body.name;
      if (platform !== undefined) p.platform = platform;
      if (slug) {
        for (const k of ctx.store.keys(p)) k.projectSlug = slug;
        ctx.store.renameProject(p, slug);
      }
      return { status: 200, body: projectDetailView(ctx.store, p, ctx.org, ctx.baseUrl) };
    },
  },
  {
    method: 'DELETE',
    template: '/projects/:org/:project/',
    name: 'DELETE /projects',
    scopes: admin('project'),
    handler: (ctx) => {
      ctx.store.deleteProject(project(ctx));
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    template: '/projects/:org/:project/keys/',
    name: 'GET /projects/keys',
    scopes: read('project'),
    handler: (ctx) => {
      const status = ctx.url.searchParams.get('status');
      let keys = ctx.store.keys(project(ctx));
      if (status === 'active') keys = keys.filter((k) => k.isActive);
      else if (status === 'inactive') keys = keys.filter((k) => !k.isActive);
      else if (status) throw new HttpError(400, { detail: 'Invalid status. Use "active" or "inactive".' });
      const page = paginate(keys, ctx.url, ctx.baseUrl, ctx.pageSize);
      return { status: 200, body: page.items.map((k) => keyView(k, ctx.baseUrl)), headers: { Link: page.link } };
    },
  },
  {
    method: 'POST',
    template: '/projects/:org/:project/keys/',
    name: 'POST /projects/keys',
    scopes: write('project'),
    handler: (ctx) => {
      const body = requireObjectBody(ctx.body);
      const p = project(ctx);
      const errs = new FieldErrors();
      const name = checkKeyName(errs, body.name);
      const rateLimit = checkRateLimit(errs, body.rateLimit);
      if (body.useCase !== undefined && !USE_CASES.has(body.useCase)) errs.add('useCase', `"${body.useCase}" is not a valid choice.`);
      errs.throwIfAny();
      const k = ctx.store.createKey(p, { name, rateLimit, useCase: body.useCase });
      return { status: 201, body: keyView(k, ctx.baseUrl) };
    },
  },
  {
    method: 'GET',
    template: '/projects/:org/:project/keys/:key/',
    name: 'GET /projects/keys/:key',
    scopes: read('project'),
    handler: (ctx) => ({ status: 200, body: keyView(key(ctx), ctx.baseUrl) }),
  },
  {
    method: 'PUT',
    template: '/projects/:org/:project/keys/:key/',
    name: 'PUT /projects/keys/:key',
    scopes: write('project'),
    handler: (ctx) => {
      const body = requireObjectBody(ctx.body);
      const k = key(ctx);
      const errs = new FieldErrors();
      const name = checkKeyName(errs, body.name);
      const rateLimit = checkRateLimit(errs, body.rateLimit);
      if (body.isActive !== undefined && typeof body.isActive !== 'boolean') errs.add('isActive', 'Must be a valid boolean.');
      errs.throwIfAny();
      if (typeof name === 'string') k.name = name;
      if (rateLimit !== undefined) k.rateLimit = rateLimit;
      if (typeof body.isActive === 'boolean') k.isActive = body.isActive;
      return { status: 200, body: keyView(k, ctx.baseUrl) };
    },
  },
  {
    method: 'DELETE',
    template: '/projects/:org/:project/keys/:key/',
    name: 'DELETE /projects/keys/:key',
    scopes: admin('project'),
    handler: (ctx) => {
      ctx.store.deleteKey(key(ctx));
      return { status: 204 };
    },
  },
];
