/**
 * GlitchTip mode of the stand-in (`flavor: 'glitchtip'`): the same state, with GlitchTip 5.x's observed differences
 * from Sentry's API (numbered as in the README's list): 500 on an existing team, name-derived project slugs with a
 * `-2` suffix instead of 409, no `links.regionUrl`, no `teams` in project detail (a `teams/` sub-resource instead),
 * dashed-UUID key ids (500 for anything else), `dsn.secret` = public DSN, no `isActive`, an unnamed default key,
 * a `Link` header in Python set syntax, `?query=email:` ignored, the token's user added to teams it creates,
 * `default_rules` ignored, no rate-limit headers (429 with `Retry-After` only), 404 `{"detail":"Not Found"}`.
 */
import { HttpError, notFound, type Reply } from './http-util';
import { paginate } from './pagination';
import { admin, type Ctx, FieldErrors, read, requireObjectBody, type Route, tooLong, write } from './router';
import { slugify } from './state';
import type { Key, Project } from './types';
import { keyView, projectView, teamView } from './views';

export const dashed = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** GlitchTip answers server errors as an HTML page. */
export const htmlServerError = (): Reply => ({
  status: 500,
  text: '<!doctype html><html><body><h1>Server Error (500)</h1></body></html>',
  contentType: 'text/html',
});

function project(ctx: Ctx): Project {
  const p = ctx.store.project(ctx.org.slug, ctx.params.project);
  if (!p) throw notFound();
  return p;
}

/** `uuid:key_id` in GlitchTip's URLs: anything that is no dashed UUID fails inside the view (500). */
function key(ctx: Ctx): Key | 'bad-id' {
  if (!DASHED_UUID.test(ctx.params.key)) return 'bad-id';
  const k = ctx.store.keys(project(ctx)).find((x) => dashed(x.public) === ctx.params.key);
  if (!k) throw notFound();
  return k;
}

export function glitchtipRoutes(tokenUser: string): Route[] {
  return [
    {
      method: 'POST',
      template: '/organizations/:org/teams/',
      name: 'POST /organizations/teams',
      scopes: [...write('org'), ...write('team')],
      handler: (ctx) => {
        const body = requireObjectBody(ctx.body);
        const slug = typeof body.slug === 'string' ? body.slug : undefined;
        if (!slug || !/^[a-z0-9_-]{1,50}$/.test(slug)) throw new HttpError(400, { detail: [{ loc: ['body', 'payload', 'slug'], msg: 'Invalid slug' }] });
        if (ctx.store.team(ctx.org.slug, slug)) return htmlServerError(); // IntegrityError, not 409
        const team = ctx.store.createTeam(ctx.org.slug, slug, slug);
        ctx.store.addMember(ctx.org.slug, tokenUser);
        team.members.push(tokenUser);
        return { status: 201, body: teamView(team) };
      },
    },
    {
      method: 'POST',
      template: '/teams/:org/:team/projects/',
      name: 'POST /teams/projects',
      scopes: [...write('project'), ...write('org')],
      handler: (ctx) => {
        const body = requireObjectBody(ctx.body);
        const team = ctx.store.team(ctx.org.slug, ctx.params.team);
        if (!team) throw notFound();
        const errs = new FieldErrors();
        if (typeof body.name !== 'string' || !body.name.trim()) errs.add('name', 'This field is required.');
        else if (body.name.length > 64) errs.add('name', tooLong(64));
        errs.throwIfAny();
        // `slug` is ignored: AutoSlugField from the name, `-2`, `-3`, … on a collision; never 409.
        const base = slugify(body.name, 50) || 'project';
        let slug = base;
        for (let n = 2; ctx.store.slugTaken(ctx.org.slug, slug); n++) slug = `${base.slice(0, 50 - String(n).length - 1)}-${n}`;
        const p = ctx.store.createProject(ctx.org.slug, team, {
          slug,
          name: body.name,
          platform: typeof body.platform === 'string' ? body.platform : null,
          defaultRules: false,
        });
        for (const k of ctx.store.keys(p)) k.name = ''; // the automatic key is unnamed
        return { status: 201, body: projectView(ctx.store, p) };
      },
    },
    {
      method: 'GET',
      template: '/projects/:org/:project/teams/',
      name: 'GET /projects/teams',
      scopes: read('project'),
      handler: (ctx) => {
        const p = project(ctx);
        const teams = p.teamIds.map((id) => ctx.store.teamById(id)).filter((t) => t !== undefined);
        const page = paginate(teams, ctx.url, ctx.baseUrl, ctx.pageSize);
        return { status: 200, body: page.items.map(teamView), headers: { Link: page.link } };
      },
    },
    {
      method: 'GET',
      template: '/projects/:org/:project/keys/:key/',
      name: 'GET /projects/keys/:key',
      scopes: read('project'),
      handler: (ctx) => {
        const k = key(ctx);
        return k === 'bad-id' ? htmlServerError() : { status: 200, body: keyView(k, ctx.baseUrl) };
      },
    },
    {
      method: 'PUT',
      template: '/projects/:org/:project/keys/:key/',
      name: 'PUT /projects/keys/:key',
      scopes: write('project'),
      // PUT ignores the payload and returns the key.
      handler: (ctx) => {
        const k = key(ctx);
        return k === 'bad-id' ? htmlServerError() : { status: 200, body: keyView(k, ctx.baseUrl) };
      },
    },
    {
      method: 'DELETE',
      template: '/projects/:org/:project/keys/:key/',
      name: 'DELETE /projects/keys/:key',
      scopes: admin('project'),
      handler: (ctx) => {
        const k = key(ctx);
        if (k === 'bad-id') return htmlServerError();
        ctx.store.deleteKey(k);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      template: '/organizations/:org/members/',
      name: 'GET /organizations/members',
      scopes: [...read('member'), ...read('org')],
      // `?query=` is ignored: the whole list, paginated.
      handler: (ctx) => {
        const page = paginate(ctx.store.members(ctx.org.slug), ctx.url, ctx.baseUrl, ctx.pageSize);
        const body = page.items.map((m) => ({ id: m.id, email: m.email, role: m.email === tokenUser ? 'admin' : 'member', pending: false }));
        return { status: 200, body, headers: { Link: page.link } };
      },
    },
  ];
}

/** Reshapes a Sentry-shaped answer into GlitchTip's, by route. */
export function glitchtipReply(routeName: string, reply: Reply): Reply {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(reply.headers ?? {})) {
    if (/^x-sentry-rate-limit-/i.test(k)) continue;
    headers[k] = k.toLowerCase() === 'link' ? `{'${v}'}` : v;
  }
  if (reply.status === 429) headers['Retry-After'] = '1';
  let body = reply.body;
  if (reply.status === 404 && reply.text === undefined) body = { detail: 'Not Found' };
  else if (reply.status < 300 && body && typeof body === 'object') {
    const shape = (b: any): any => {
      if (routeName === 'GET /organizations') {
        const { regionUrl: _r, ...links } = b.links ?? {};
        return { ...b, links };
      }
      if (/^(GET|PUT) \/projects$/.test(routeName) || /\/projects$/.test(routeName)) {
        const { team: _t, teams: _ts, ...rest } = b;
        return rest;
      }
      if (/\/projects\/keys/.test(routeName) && b.dsn) {
        const { isActive: _a, secret: _s, ...rest } = b;
        return { ...rest, id: dashed(b.public), public: dashed(b.public), dsn: { public: b.dsn.public, secret: b.dsn.public, security: b.dsn.security } };
      }
      return b;
    };
    body = Array.isArray(body) ? body.map(shape) : shape(body);
  }
  return { ...reply, headers, body };
}
