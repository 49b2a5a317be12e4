/** Organization and team routes. */
import { HttpError, notFound } from './http-util';
import { paginate } from './pagination';
import { checkSlug, FieldErrors, read, requireObjectBody, type Route, tooLong, write } from './router';
import { slugify } from './state';
import { orgView, teamView } from './views';

export const orgRoutes: Route[] = [
  {
    method: 'GET',
    template: '/organizations/:org/',
    name: 'GET /organizations',
    scopes: read('org'),
    handler: (ctx) => ({ status: 200, body: orgView(ctx.org, ctx.baseUrl) }),
  },
  {
    method: 'GET',
    template: '/organizations/:org/teams/',
    name: 'GET /organizations/teams',
    scopes: [...read('org'), ...read('team')],
    handler: (ctx) => {
      const page = paginate(ctx.store.teams(ctx.org.slug), ctx.url, ctx.baseUrl, ctx.pageSize);
      return { status: 200, body: page.items.map(teamView), headers: { Link: page.link } };
    },
  },
  {
    method: 'POST',
    template: '/organizations/:org/teams/',
    name: 'POST /organizations/teams',
    scopes: [...write('org'), ...write('team')],
    handler: (ctx) => {
      const body = requireObjectBody(ctx.body);
      const errs = new FieldErrors();
      let slug = checkSlug(errs, 'slug', body.slug, 50);
      let name: string | undefined = body.name ?? undefined;
      if (name !== undefined && (typeof name !== 'string' || name.length > 64)) {
        errs.add('name', typeof name !== 'string' ? 'Not a valid string.' : tooLong(64));
      }
      errs.throwIfAny();
      if (!slug && !name) throw new HttpError(400, { non_field_errors: ['Name or slug is required'] });
      slug ??= slugify(name as string);
      name ??= slug;
      if (!slug) throw new HttpError(400, { slug: ['Could not derive a valid slug from the name'] });
      if (ctx.store.team(ctx.org.slug, slug)?.slug === slug) {
        throw new HttpError(409, { detail: 'A team with this slug already exists.' });
      }
      return { status: 201, body: teamView(ctx.store.createTeam(ctx.org.slug, slug, name)) };
    },
  },
  {
    method: 'GET',
    template: '/teams/:org/:team/',
    name: 'GET /teams',
    scopes: read('team'),
    handler: (ctx) => {
      const t = ctx.store.team(ctx.org.slug, ctx.params.team);
      if (!t) throw notFound('Team not found.');
      return { status: 200, body: teamView(t) };
    },
  },
];
