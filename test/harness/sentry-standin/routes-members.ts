/**
 * Members. Two flavours:
 * - Sentry's own shape: `GET organizations/{org}/members/?query=email:x` and
 *   `POST|DELETE organizations/{org}/members/{member_id}/teams/{team}/` (member must be in the org).
 * - Stand-in simplification: `GET|POST teams/{org}/{team}/members/` with `{email}` and
 *   `DELETE teams/{org}/{team}/members/{email}/`; POST also makes the e-mail an org member.
 */
import { HttpError, notFound } from './http-util';
import { paginate } from './pagination';
import { admin, type Ctx, read, requireObjectBody, type Route, write } from './router';
import type { Team } from './types';
import { memberView, teamView } from './views';

const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const MEMBER_WRITE = [...write('team'), ...write('member'), ...write('org')];

function team(ctx: Ctx): Team {
  const t = ctx.store.team(ctx.org.slug, ctx.params.team);
  if (!t) throw notFound('Team not found.');
  return t;
}

/** `?query=email:a@b.c` (Sentry's search syntax) or free text matched against the e-mail. */
function matchesQuery(email: string, query: string | null): boolean {
  if (!query) return true;
  return query
    .trim()
    .split(/\s+/)
    .every((term) => {
      const m = /^email:(.+)$/i.exec(term);
      return m ? email === m[1].toLowerCase() : email.includes(term.toLowerCase());
    });
}

function memberTeam(ctx: Ctx): { email: string; team: Team } {
  const member = ctx.store.members(ctx.org.slug).find((m) => m.id === ctx.params.member);
  if (!member) throw notFound();
  return { email: member.email, team: team(ctx) };
}

export const memberRoutes: Route[] = [
  {
    method: 'GET',
    template: '/organizations/:org/members/',
    name: 'GET /organizations/members',
    scopes: [...read('member'), ...read('org')],
    handler: (ctx) => {
      const q = ctx.url.searchParams.get('query');
      const all = ctx.store.members(ctx.org.slug).filter((m) => matchesQuery(m.email, q));
      const page = paginate(all, ctx.url, ctx.baseUrl, ctx.pageSize);
      return { status: 200, body: page.items.map((m) => memberView(ctx.store, ctx.org.slug, m.email)), headers: { Link: page.link } };
    },
  },
  {
    method: 'POST',
    template: '/organizations/:org/members/:member/teams/:team/',
    name: 'POST /organizations/members/teams',
    scopes: MEMBER_WRITE,
    handler: (ctx) => {
      const { email, team: t } = memberTeam(ctx);
      if (t.members.includes(email)) return { status: 204 };
      t.members.push(email);
      return { status: 201, body: teamView(t) };
    },
  },
  {
    method: 'DELETE',
    template: '/organizations/:org/members/:member/teams/:team/',
    name: 'DELETE /organizations/members/teams',
    scopes: MEMBER_WRITE,
    handler: (ctx) => {
      const { email, team: t } = memberTeam(ctx);
      const i = t.members.indexOf(email);
      if (i >= 0) t.members.splice(i, 1);
      return { status: 200, body: teamView(t) };
    },
  },
  {
    method: 'GET',
    template: '/teams/:org/:team/members/',
    name: 'GET /teams/members',
    scopes: [...read('team'), ...read('member')],
    handler: (ctx) => {
      const t = team(ctx);
      const page = paginate(t.members, ctx.url, ctx.baseUrl, ctx.pageSize);
      return { status: 200, body: page.items.map((e) => memberView(ctx.store, ctx.org.slug, e)), headers: { Link: page.link } };
    },
  },
  {
    method: 'POST',
    template: '/teams/:org/:team/members/',
    name: 'POST /teams/members',
    scopes: MEMBER_WRITE,
    handler: (ctx) => {
      const body = requireObjectBody(ctx.body);
      const t = team(ctx);
      if (typeof body.email !== 'string' || !EMAIL_RE.test(body.email)) {
        throw new HttpError(400, { email: ['Enter a valid email address.'] });
      }
      const email = body.email.toLowerCase();
      ctx.store.addMember(ctx.org.slug, email);
      if (t.members.includes(email)) return { status: 200, body: memberView(ctx.store, ctx.org.slug, email) };
      t.members.push(email);
      return { status: 201, body: memberView(ctx.store, ctx.org.slug, email) };
    },
  },
  {
    method: 'DELETE',
    template: '/teams/:org/:team/members/:email/',
    name: 'DELETE /teams/members/:email',
    scopes: [...admin('team'), ...admin('member'), ...admin('org')],
    handler: (ctx) => {
      const t = team(ctx);
      const i = t.members.indexOf(ctx.params.email.toLowerCase());
      if (i < 0) throw notFound();
      t.members.splice(i, 1);
      return { status: 204 };
    },
  },
];
