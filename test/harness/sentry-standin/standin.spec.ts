import { execFile } from 'node:child_process';
import { deflateSync, gzipSync } from 'node:zlib';
import { type SentryStandin, startSentryStandin } from './index';

interface Res {
  status: number;
  json: any;
  headers: Headers;
}

function client(base: () => string) {
  return async (method: string, path: string, body?: unknown, token: string | null = 'test-token', raw?: string): Promise<Res> => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(path.startsWith('http') ? path : `${base()}/api/0${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await r.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text; // gateway-style HTML error pages
    }
    return { status: r.status, json, headers: r.headers };
  };
}

function links(header: string | null): Record<string, { url: string; results: boolean; cursor: string }> {
  const out: Record<string, { url: string; results: boolean; cursor: string }> = {};
  for (const part of (header ?? '').split(/,\s*(?=<)/)) {
    const m = /^<([^>]+)>; rel="(\w+)"; results="(true|false)"; cursor="([^"]+)"$/.exec(part.trim());
    if (!m) throw new Error(`bad Link part: ${part}`);
    out[m[2]] = { url: m[1], results: m[3] === 'true', cursor: m[4] };
  }
  return out;
}

async function untilFreshSecond(): Promise<void> {
  const ms = Date.now() % 1000;
  if (ms > 600) await new Promise((r) => setTimeout(r, 1010 - ms));
}

describe('Sentry stand-in', () => {
  let s: SentryStandin;
  const api = client(() => s.url);

  beforeAll(async () => {
    s = await startSentryStandin({ orgs: ['acme', 'other'] });
    s.addToken('read-only', ['org:read', 'project:read', 'team:read']);
    s.addToken('writer', ['project:write', 'team:write', 'org:read']);
    expect((await api('POST', '/organizations/acme/teams/', { slug: 'backend' })).status).toBe(201);
  });
  afterAll(() => s.close());

  it('authenticates with bearer tokens and enforces scopes', async () => {
    expect(await api('GET', '/organizations/acme/', undefined, null)).toMatchObject({ status: 401, json: { detail: 'Invalid token' } });
    expect((await api('GET', '/organizations/acme/', undefined, 'nope')).status).toBe(401);
    const forbidden = await api('POST', '/organizations/acme/teams/', { slug: 'x' }, 'read-only');
    expect(forbidden).toMatchObject({ status: 403, json: { detail: 'You do not have permission to perform this action.' } });
    expect((await api('POST', '/teams/acme/backend/projects/', { name: 'w1' }, 'writer')).status).toBe(201);
    expect((await api('DELETE', '/projects/acme/w1/', undefined, 'writer')).status).toBe(403); // needs project:admin
    const org = await api('GET', '/organizations/acme/', undefined, 'read-only');
    expect(org.status).toBe(200);
    expect(org.json).toMatchObject({ slug: 'acme', links: { regionUrl: s.url, organizationUrl: s.url } });
    expect((await api('GET', '/organizations/nope/')).status).toBe(404);
  });

  it('creates teams with slug validation and 409 on duplicates', async () => {
    const t = await api('POST', '/organizations/acme/teams/', { slug: 'frontend', name: 'Front End' });
    expect(t.status).toBe(201);
    expect(t.json).toMatchObject({ slug: 'frontend', name: 'Front End', id: expect.stringMatching(/^\d+$/) });
    expect(await api('POST', '/organizations/acme/teams/', { slug: 'frontend' })).toMatchObject({
      status: 409,
      json: { detail: 'A team with this slug already exists.' },
    });
    for (const slug of ['12345', 'Upper', 'a'.repeat(51), 'sp ace']) {
      const r = await api('POST', '/organizations/acme/teams/', { slug });
      expect(r.status).toBe(400);
      expect(r.json.slug).toHaveLength(1);
    }
    expect((await api('GET', '/teams/acme/frontend/')).json.slug).toBe('frontend');
    expect((await api('GET', '/teams/other/frontend/')).status).toBe(404); // teams are per org
    expect(s.state.teams('acme').map((x) => x.slug)).toEqual(expect.arrayContaining(['backend', 'frontend']));
  });

  it('manages team members by e-mail', async () => {
    expect((await api('POST', '/teams/acme/backend/members/', { email: 'Ann@Example.com' })).status).toBe(201);
    expect((await api('POST', '/teams/acme/backend/members/', { email: 'ann@example.com' })).status).toBe(200);
    expect((await api('POST', '/teams/acme/backend/members/', { email: 'not-an-email' })).status).toBe(400);
    const list = await api('GET', '/teams/acme/backend/members/');
    expect(list.json.map((m: any) => m.email)).toEqual(['ann@example.com']);
    expect(s.state.teamMembers('acme', 'backend')).toEqual(['ann@example.com']);
    expect((await api('DELETE', '/teams/acme/backend/members/ann%40example.com/')).status).toBe(204);
    expect((await api('DELETE', '/teams/acme/backend/members/ann%40example.com/')).status).toBe(404);
    expect(s.state.teamMembers('acme', 'backend')).toEqual([]);
  });

  it("supports Sentry's member endpoints: org member search and member-team add/remove", async () => {
    const id = s.state.addOrgMember('acme', 'Dev@Example.com');
    s.state.addOrgMember('acme', 'other@example.com');
    const found = await api('GET', `/organizations/acme/members/?query=${encodeURIComponent('email:dev@example.com')}`);
    expect(found.json.map((m: any) => [m.id, m.email])).toEqual([[id, 'dev@example.com']]);
    expect((await api('POST', `/organizations/acme/members/${id}/teams/frontend/`)).status).toBe(201);
    expect((await api('POST', `/organizations/acme/members/${id}/teams/frontend/`)).status).toBe(204);
    expect((await api('POST', '/organizations/acme/members/999999/teams/frontend/')).status).toBe(404);
    expect((await api('GET', '/teams/acme/frontend/members/')).json.map((m: any) => m.id)).toEqual([id]);
    expect((await api('DELETE', `/organizations/acme/members/${id}/teams/frontend/`)).status).toBe(200);
    expect(s.state.teamMembers('acme', 'frontend')).toEqual([]);
    expect(s.state.orgMembers('acme')).toEqual(expect.arrayContaining(['dev@example.com', 'other@example.com', 'ann@example.com']));
  });

  it('creates a project with an auto-created Default key, validates fields, 409 on duplicate slug', async () => {
    const r = await api('POST', '/teams/acme/backend/projects/', { name: 'Shop API', slug: 'shop-api', platform: 'python-django', default_rules: false });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ slug: 'shop-api', name: 'Shop API', platform: 'python-django', team: { slug: 'backend' } });
    expect(r.json.id).toMatch(/^\d+$/);
    expect(r.json.teams).toEqual([r.json.team]);
    expect(r.json.dsn).toBeUndefined();
    expect(s.state.projects('acme').find((p) => p.slug === 'shop-api')?.hasDefaultRules).toBe(false);

    const keys = await api('GET', '/projects/acme/shop-api/keys/');
    expect(keys.json).toHaveLength(1);
    const k = keys.json[0];
    expect(k).toMatchObject({ name: 'Default', label: 'Default', isActive: true, rateLimit: null, projectId: Number(r.json.id) });
    expect(k.id).toMatch(/^[0-9a-f]{32}$/);
    expect(k.public).toBe(k.id);
    const host = new URL(s.url).host;
    expect(k.dsn.public).toBe(`http://${k.public}@${host}/${r.json.id}`);
    expect(k.dsn.secret).toBe(`http://${k.public}:${k.secret}@${host}/${r.json.id}`);

    expect(await api('POST', '/teams/acme/backend/projects/', { name: 'Other', slug: 'shop-api' })).toMatchObject({
      status: 409,
      json: { detail: 'A project with this slug already exists.' },
    });
    expect((await api('POST', '/teams/acme/backend/projects/', { name: 'x', platform: 'cobol' })).json).toEqual({ platform: ['Invalid platform'] });
    expect((await api('POST', '/teams/acme/backend/projects/', { name: 'settings' })).status).toBe(400);
    expect((await api('POST', '/teams/acme/backend/projects/', { name: 'a'.repeat(51) })).json.name).toHaveLength(1);
    expect((await api('POST', '/teams/acme/backend/projects/', { platform: 'node' })).json.name).toBeDefined();
    expect(await api('POST', '/teams/acme/nope/projects/', { name: 'x' })).toMatchObject({ status: 404, json: { detail: 'Team not found.' } });
    expect(await api('POST', '/teams/acme/backend/projects/', undefined, 'test-token', '{"name": ')).toMatchObject({
      status: 400,
      json: { detail: 'Malformed request' },
    });
    // Derived slug: collision gets a random suffix instead of 409.
    const derived = await api('POST', '/teams/acme/backend/projects/', { name: 'shop-api' });
    expect(derived.status).toBe(201);
    expect(derived.json.slug).toMatch(/^shop-api-[0-9a-f]{2}$/);
  });

  it('paginates lists with Sentry Link headers across 3 pages', async () => {
    await api('POST', '/organizations/other/teams/', { slug: 'pager' });
    for (let i = 0; i < 5; i++) expect((await api('POST', '/teams/other/pager/projects/', { name: `p${i}` })).status).toBe(201);
    const seen: string[] = [];
    let url: string | undefined = `${s.url}/api/0/organizations/other/projects/?per_page=2`;
    let pages = 0;
    while (url && pages < 10) {
      const r = await api('GET', url);
      const l = links(r.headers.get('link'));
      expect(Object.keys(l).sort()).toEqual(['next', 'previous']);
      expect(l.previous.results).toBe(pages > 0);
      seen.push(...r.json.map((p: any) => p.slug));
      pages += 1;
      url = l.next.results ? l.next.url : undefined;
      if (pages === 1) expect(r.headers.get('link')).toContain('; rel="previous"; results="false"; cursor="0:0:1"');
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect((await api('GET', '/organizations/other/projects/?cursor=garbage')).status).toBe(400);

    // Configured default page size.
    const small = await startSentryStandin({ pageSize: 2 });
    try {
      const sapi = client(() => small.url);
      for (const slug of ['t1', 't2', 't3']) await sapi('POST', '/organizations/acme/teams/', { slug });
      const first = await sapi('GET', '/organizations/acme/teams/');
      expect(first.json).toHaveLength(2);
      const next = links(first.headers.get('link')).next;
      expect(next).toMatchObject({ results: true, cursor: '0:2:0' });
      expect((await sapi('GET', next.url)).json.map((t: any) => t.slug)).toEqual(['t3']);
    } finally {
      await small.close();
    }
  });

  it('sends rate-limit headers and answers 429 beyond the per-org fixed window', async () => {
    const limited = await startSentryStandin({ requestsPerSecond: 5, orgs: ['acme', 'other'] });
    try {
      const lapi = client(() => limited.url);
      await untilFreshSecond();
      const rs = await Promise.all(Array.from({ length: 8 }, () => lapi('GET', '/organizations/acme/')));
      const other = await lapi('GET', '/organizations/other/'); // separate bucket
      const second = Math.floor(Date.now() / 1000);
      expect(rs.filter((r) => r.status === 200)).toHaveLength(5);
      const tooMany = rs.filter((r) => r.status === 429);
      expect(tooMany).toHaveLength(3);
      expect(tooMany[0].json).toEqual({ detail: 'You are attempting to use this endpoint too frequently. Limit is 5 requests in 1 seconds' });
      expect(tooMany[0].headers.get('retry-after')).toBeNull();
      for (const r of rs) {
        expect(r.headers.get('x-sentry-rate-limit-limit')).toBe('5');
        expect(Number(r.headers.get('x-sentry-rate-limit-reset'))).toBe(second + 1);
        expect(r.headers.get('x-sentry-rate-limit-concurrentlimit')).toBe('25');
        expect(Number(r.headers.get('x-sentry-rate-limit-concurrentremaining'))).toBeLessThanOrEqual(24);
      }
      expect(rs.map((r) => Number(r.headers.get('x-sentry-rate-limit-remaining'))).sort()).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
      expect(other.status).toBe(200);
      expect(limited.stats()).toMatchObject({ calls: 9, rateLimited: 3, status: { 200: 6, 429: 3 }, byRoute: { 'GET /organizations': 9 } });
    } finally {
      await limited.close();
    }
  });

  it('deletes projects asynchronously: gone at once, slug reusable, keys stop ingesting', async () => {
    const p = (await api('POST', '/teams/acme/backend/projects/', { name: 'Temp', slug: 'temp' })).json;
    const key = (await api('GET', '/projects/acme/temp/keys/')).json[0];
    expect((await api('DELETE', '/projects/acme/temp/')).status).toBe(204);
    expect((await api('GET', '/projects/acme/temp/')).status).toBe(404);
    expect((await api('GET', '/organizations/acme/projects/')).json.map((x: any) => x.slug)).not.toContain('temp');
    expect(s.state.projects('acme').map((x) => x.slug)).not.toContain('temp');
    const again = await api('POST', '/teams/acme/backend/projects/', { name: 'Temp', slug: 'temp' });
    expect(again.status).toBe(201);
    expect(again.json.id).not.toBe(p.id);
    const store = await fetch(`${s.url}/api/${p.id}/store/?sentry_key=${key.public}`, { method: 'POST', body: '{"message":"x"}' });
    expect(store.status).toBe(403);
  });

  it('supports client key CRUD with status filter and validation', async () => {
    await api('POST', '/teams/acme/backend/projects/', { name: 'Keys', slug: 'keys' });
    const created = await api('POST', '/projects/acme/keys/keys/', { name: 'svc-sentry', rateLimit: { count: 100, window: 60 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'svc-sentry', rateLimit: { count: 100, window: 60 }, useCase: 'user', isActive: true });
    const id = created.json.id;
    expect((await api('POST', '/projects/acme/keys/keys/', { rateLimit: { count: 1, window: 90000 } })).status).toBe(400);
    expect((await api('POST', '/projects/acme/keys/keys/', { useCase: 'nope' })).status).toBe(400);
    const generated = await api('POST', '/projects/acme/keys/keys/', {});
    expect(generated.json.name).toMatch(/^\w+ \w+$/);

    expect((await api('GET', `/projects/acme/keys/keys/${id}/`)).json.dsn.public).toBe(created.json.dsn.public);
    const put = await api('PUT', `/projects/acme/keys/keys/${id}/`, { isActive: false, rateLimit: null, name: 'renamed' });
    expect(put.json).toMatchObject({ isActive: false, rateLimit: null, name: 'renamed' });
    expect((await api('GET', '/projects/acme/keys/keys/?status=inactive')).json.map((k: any) => k.id)).toEqual([id]);
    expect((await api('GET', '/projects/acme/keys/keys/?status=active')).json).toHaveLength(2);

    const pid = created.json.projectId;
    const inactive = await fetch(`${s.url}/api/${pid}/store/?sentry_key=${id}`, { method: 'POST', body: '{}' });
    expect(inactive.status).toBe(403);

    expect((await api('DELETE', `/projects/acme/keys/keys/${id}/`, undefined, 'writer')).status).toBe(403);
    expect((await api('DELETE', `/projects/acme/keys/keys/${id}/`)).status).toBe(204);
    expect((await api('GET', `/projects/acme/keys/keys/${id}/`)).status).toBe(404);
    expect(s.state.keys('acme', 'keys').map((k) => k.id)).not.toContain(id);
  });

  describe('ingest', () => {
    let key: any;
    beforeAll(async () => {
      await api('POST', '/teams/acme/backend/projects/', { name: 'Ingest', slug: 'ingest', platform: 'python' });
      key = (await api('GET', '/projects/acme/ingest/keys/')).json[0];
    });

    it('records an envelope (key from the envelope dsn header, item lengths) with its exception', async () => {
      const event = JSON.stringify(
        {
          event_id: 'a'.repeat(32),
          environment: 'prod',
          release: 'app@1.2.3',
          sdk: { name: 'sentry.python', version: '2.0.0' },
          exception: {
            values: [
              { type: 'KeyError', value: 'inner' },
              { type: 'ValueError', value: 'ünïcode boom' },
            ],
          },
        },
        null,
        2, // newlines inside the payload: only the item header's byte length delimits it
      );
      const session = JSON.stringify({ sid: 'x', status: 'ok', attrs: { release: 'app@1.2.3' } });
      const body = [
        JSON.stringify({ event_id: 'a'.repeat(32), dsn: key.dsn.public }),
        JSON.stringify({ type: 'event', length: Buffer.byteLength(event) }),
        event,
        JSON.stringify({ type: 'session' }),
        session,
      ].join('\n');
      const r = await fetch(`${s.url}/api/${key.projectId}/envelope/`, { method: 'POST', body });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ id: 'a'.repeat(32) });
      const e = await s.waitForEvent((x) => x.eventId === 'a'.repeat(32), 1000);
      expect(e).toMatchObject({
        via: 'envelope',
        projectId: String(key.projectId),
        keyId: key.id,
        exceptionType: 'ValueError',
        exceptionValue: 'ünïcode boom',
        environment: 'prod',
        release: 'app@1.2.3',
        sdk: 'sentry.python',
        secretGiven: false,
        itemTypes: ['event', 'session'],
      });
    });

    it('records a raven-python style deflated store event with secret, and a gzipped envelope', async () => {
      const raven = deflateSync(
        JSON.stringify({
          event_id: 'b'.repeat(32),
          sdk: { name: 'raven-python', version: '6.1.0' },
          'sentry.interfaces.Exception': { values: [{ type: 'ZeroDivisionError', value: 'integer division or modulo by zero' }] },
        }),
      );
      const r = await fetch(`${s.url}/api/${key.projectId}/store/`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Encoding': 'deflate',
          'X-Sentry-Auth': `Sentry sentry_timestamp=1, sentry_client=raven-python/6.1.0, sentry_version=6, sentry_key=${key.public}, sentry_secret=${key.secret}`,
        },
        body: raven,
      });
      expect(r.status).toBe(200);
      const e = await s.waitForEvent((x) => x.eventId === 'b'.repeat(32), 1000);
      expect(e).toMatchObject({ via: 'store', exceptionType: 'ZeroDivisionError', sdk: 'raven-python', secretGiven: true, secretValid: true });

      const sessionOnly = `{"sent_at":"2026-01-01T00:00:00Z"}\n{"type":"session"}\n{"sid":"s","attrs":{"environment":"staging"}}\n`;
      const g = await fetch(`${s.url}/api/${key.projectId}/envelope/?sentry_key=${key.public}`, {
        method: 'POST',
        headers: { 'Content-Encoding': 'gzip', 'Content-Type': 'application/x-sentry-envelope' },
        body: gzipSync(sessionOnly),
      });
      expect(g.status).toBe(200);
      const ge = await s.waitForEvent((x) => x.environment === 'staging', 1000);
      expect(ge.exceptionType).toBeUndefined();
      expect(ge.itemTypes).toEqual(['session']);
    });

    it('rejects unknown keys and keys of another project; ingest ignores faults', async () => {
      const none = await fetch(`${s.url}/api/${key.projectId}/store/`, { method: 'POST', body: '{}' });
      expect(none.status).toBe(401);
      const unknown = await fetch(`${s.url}/api/${key.projectId}/store/?sentry_key=${'0'.repeat(32)}`, { method: 'POST', body: '{}' });
      expect(unknown.status).toBe(403);
      const wrongProject = await fetch(`${s.url}/api/1/store/?sentry_key=${key.public}`, { method: 'POST', body: '{}' });
      expect(wrongProject.status).toBe(403);
      s.setFaults({ errorRate: 1, requestsPerSecond: 1, resetRate: 0.5 });
      try {
        for (let i = 0; i < 3; i++) {
          const ok = await fetch(`${s.url}/api/${key.projectId}/store/?sentry_key=${key.public}`, {
            method: 'POST',
            body: '{"event_id":"' + 'c'.repeat(32) + '"}',
          });
          expect(ok.status).toBe(200);
        }
        s.setFaults({ errorRate: 1 });
        const failed = await api('GET', '/organizations/acme/');
        expect([500, 502, 503]).toContain(failed.status);
      } finally {
        s.setFaults({});
      }
    });

    it('accepts a real @sentry/node envelope', async () => {
      const script = `const S=require('@sentry/node');S.init({dsn:process.env.DSN,environment:'e2e',release:'r9',defaultIntegrations:false});
class BoomError extends Error{constructor(m){super(m);this.name='BoomError'}}
S.captureException(new BoomError('kaboom'));S.flush(3000).then(ok=>process.exit(ok?0:3));`;
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['-e', script], { env: { ...process.env, DSN: key.dsn.public }, timeout: 8000 }, (err) => (err ? reject(err) : resolve())),
      );
      const e = await s.waitForEvent((x) => x.release === 'r9', 1000);
      expect(e).toMatchObject({ via: 'envelope', exceptionType: 'BoomError', exceptionValue: 'kaboom', environment: 'e2e', sdk: 'sentry.javascript.node' });
    });
  });

  it('injects faults: resets, hangs until abort, lost responses; close() ends hanging sockets', async () => {
    const f = await startSentryStandin({ resetRate: 1 });
    const fapi = client(() => f.url);
    try {
      await expect(fapi('GET', '/organizations/acme/')).rejects.toThrow();
      f.setFaults({ timeoutRate: 1 });
      const t0 = Date.now();
      await expect(fetch(`${f.url}/api/0/organizations/acme/`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      f.setFaults({ lostResponseRate: 1 });
      expect((await fapi('POST', '/organizations/acme/teams/', { slug: 'lost' })).status).toBe(502);
      f.setFaults({});
      expect((await fapi('POST', '/organizations/acme/teams/', { slug: 'lost' })).status).toBe(409); // it was applied
      f.setFaults({ timeoutRate: 1 });
      const hanging = fetch(`${f.url}/api/0/organizations/acme/`).then(
        (r) => r.status,
        () => 'destroyed',
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(f.stats()).toMatchObject({ resets: 1, timeouts: 2, lostResponses: 1 });
      await f.close();
      expect(await hanging).toBe('destroyed');
    } finally {
      await f.close();
    }
  });
});
