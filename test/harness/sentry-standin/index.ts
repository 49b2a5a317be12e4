/**
 * Sentry API stand-in: an HTTP server implementing the documented Sentry Web API subset used for
 * provisioning (orgs, teams, team members, projects, client keys) and the ingest endpoints
 * (store/envelope), with Sentry-like pagination, rate-limit headers and injectable faults.
 * Test/benchmark harness only; listens on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorReply, HttpError, parseJson, readBody, type Reply, send } from './http-util';
import { handleIngest, INGEST_PATH } from './ingest';
import { FixedWindowLimiter, tooManyBody } from './limiter';
import { compile, match } from './router';
import { memberRoutes } from './routes-members';
import { orgRoutes } from './routes-org';
import { projectRoutes } from './routes-projects';
import { StandinStore } from './state';
import { glitchtipReply, glitchtipRoutes } from './glitchtip';
import { keyView } from './views';
import { ALL_SCOPES, type ReceivedEvent, type SentryStandin, type StandinFaults, type StandinOptions, type StandinStats } from './types';

export * from './types';

const ROUTES = compile([...orgRoutes, ...memberRoutes, ...projectRoutes]);
const FAULT_KEYS: Array<keyof StandinFaults> = [
  'errorRate',
  'rateLimit429Rate',
  'timeoutRate',
  'resetRate',
  'latencyMs',
  'requestsPerSecond',
  'lostResponseRate',
  'routeStatus',
];

function emptyStats(): StandinStats {
  return { calls: 0, byRoute: {}, status: {}, rateLimited: 0, timeouts: 0, resets: 0, lostResponses: 0 };
}

const copy = <T extends object>(o: T): T => structuredClone(o);

export async function startSentryStandin(opts: StandinOptions = {}): Promise<SentryStandin> {
  const store = new StandinStore(opts.orgs ?? ['acme']);
  const tokens = new Map<string, Set<string>>(Object.entries(opts.tokens ?? { 'test-token': [...ALL_SCOPES] }).map(([t, s]) => [t, new Set(s)]));
  let faults: StandinFaults = {};
  const setFaults = (f: StandinFaults): void => {
    faults = Object.fromEntries(FAULT_KEYS.filter((k) => f[k] !== undefined).map((k) => [k, f[k]]));
  };
  setFaults(opts);
  const pageSize = opts.pageSize ?? 100;
  const glitchtip = opts.flavor === 'glitchtip';
  const tokenUser = (opts.tokenUser ?? 'svc-sentry-bot@example.com').toLowerCase();
  const routes = glitchtip ? compile([...glitchtipRoutes(tokenUser), ...orgRoutes, ...memberRoutes, ...projectRoutes]) : ROUTES;
  for (const [org, emails] of Object.entries(opts.orgMembers ?? {})) for (const e of emails) store.addMember(org, e);
  const limiter = new FixedWindowLimiter();
  let stats = emptyStats();
  /** Stand-in extra: every management call answered (time, route, status), the latest 200,000. */
  let requestLog: Array<{ at: number; route: string; path: string; status: number }> = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<{ pred: (e: ReceivedEvent) => boolean; resolve: (e: ReceivedEvent) => void; reject: (e: Error) => void }>();
  let baseUrl = '';
  let closed = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  const chance = (rate: number | undefined): boolean => rate !== undefined && rate > 0 && Math.random() < rate;
  const count = (name: string): void => {
    stats.byRoute[name] = (stats.byRoute[name] ?? 0) + 1;
  };

  const record = (e: ReceivedEvent): void => {
    store.events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.delete(w);
        w.resolve(e);
      }
    }
  };

  async function management(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice('/api/0'.length);
    const found = match(routes, method, path);
    const routeName = 'route' in found ? found.route.name : `${method} (unmatched)`;
    const orgParam = 'route' in found ? found.params.org : undefined;
    const bucket = `org:${orgParam ? (store.org(orgParam)?.slug ?? orgParam) : '-'}`;
    stats.calls += 1;
    count(routeName);
    const body = method === 'POST' || method === 'PUT' ? await readBody(req) : Buffer.alloc(0);
    const f = faults;

    limiter.enter(bucket);
    try {
      if (f.latencyMs && f.latencyMs > 0) await sleep(f.latencyMs);
      if (closed) return;
      if (chance(f.resetRate)) {
        stats.resets += 1;
        req.socket.destroy();
        return;
      }
      if (chance(f.timeoutRate)) {
        stats.timeouts += 1;
        return; // never answer; close() or the client's abort ends it
      }
      const reply = handle(req, url, body, found, bucket, f);
      requestLog.push({ at: Date.now(), route: routeName, path: url.pathname, status: reply.status });
      if (requestLog.length > 200_000) requestLog = requestLog.slice(-100_000);
      finish(res, glitchtip ? glitchtipReply(routeName, reply) : reply);
    } finally {
      limiter.leave(bucket);
    }
  }

  function handle(req: IncomingMessage, url: URL, body: Buffer, found: ReturnType<typeof match>, bucket: string, f: StandinFaults): Reply {
    const limit = limiter.hit(bucket, f.requestsPerSecond);
    const withLimits = (r: Reply): Reply => ({ ...r, headers: { ...limit.headers, ...(r.headers ?? {}) } });
    if (!limit.allowed) return withLimits({ status: 429, body: tooManyBody(limit.limit) });
    if (chance(f.rateLimit429Rate)) {
      return { status: 429, body: tooManyBody(limit.limit), headers: limiter.exhausted(bucket, f.requestsPerSecond) };
    }
    const forced = 'route' in found ? f.routeStatus?.[found.route.name] : undefined;
    if (forced) {
      const detail = forced === 403 ? 'You do not have permission to perform this action.' : 'Internal Error';
      return withLimits({ status: forced, body: { detail } });
    }
    if (chance(f.errorRate)) {
      const status = [500, 502, 503][Math.floor(Math.random() * 3)];
      if (status === 500) return withLimits({ status, body: { detail: 'Internal Error', errorId: Date.now().toString(16) } });
      return {
        status,
        text: `<html><body><h1>${status} ${status === 502 ? 'Bad Gateway' : 'Service Unavailable'}</h1></body></html>`,
        contentType: 'text/html',
      };
    }
    try {
      const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const scopes = auth ? tokens.get(auth[1]) : undefined;
      if (!scopes) throw new HttpError(401, { detail: 'Invalid token' });
      // GlitchTip: tokens belong to a user.
      if (glitchtip && req.method === 'GET' && /^\/api\/0\/users\/me\/?$/.test(url.pathname)) {
        return withLimits({ status: 200, body: { id: '1', email: tokenUser, username: tokenUser, name: 'svc-sentry' } });
      }
      if (!('route' in found)) {
        throw new HttpError(found.methodNotAllowed ? 405 : 404, {
          detail: found.methodNotAllowed ? `Method "${req.method}" not allowed.` : 'The requested resource does not exist',
        });
      }
      if (!found.route.scopes.some((s) => scopes.has(s))) {
        throw new HttpError(403, { detail: 'You do not have permission to perform this action.' });
      }
      const org = store.org(found.params.org);
      if (!org) throw new HttpError(404, { detail: 'The requested resource does not exist' });
      let parsed: unknown = {};
      if (body.length > 0) parsed = parseJson(body);
      const reply = found.route.handler({ store, url, baseUrl, params: found.params, body: parsed, org, pageSize });
      if (chance(f.lostResponseRate)) {
        stats.lostResponses += 1;
        return { status: 502, text: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' };
      }
      return withLimits(reply);
    } catch (e) {
      return withLimits(errorReply(e));
    }
  }

  function finish(res: ServerResponse, reply: Reply): void {
    stats.status[reply.status] = (stats.status[reply.status] ?? 0) + 1;
    if (reply.status === 429) stats.rateLimited += 1;
    send(res, reply);
  }

  async function ingest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = INGEST_PATH.exec(url.pathname);
    count(`${req.method} /${m ? m[2] : 'ingest'}`);
    const body = await readBody(req);
    send(res, handleIngest(store, req, url, body, record));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const run = url.pathname.startsWith('/api/0/') ? management(req, res, url) : ingest(req, res, url);
    run.catch((e) => {
      if (url.pathname.startsWith('/api/0/')) finish(res, errorReply(e));
      else send(res, errorReply(e));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('stand-in: no TCP address');
  baseUrl = `http://127.0.0.1:${addr.port}`;

  const standin: SentryStandin = {
    url: baseUrl,
    setFaults,
    addToken: (token, scopes) => void tokens.set(token, new Set(scopes)),
    stats: () => copy(stats),
    resetStats: () => void (stats = emptyStats()),
    requests: (since = 0, until = Infinity) => requestLog.filter((r) => r.at >= since && r.at <= until).map(copy),
    state: {
      teams: (org) => store.teams(org).map(copy),
      projects: (org) => store.projects(org).map(copy),
      keys: (org, projectSlug) => store.keys(store.requireProject(org, projectSlug)).map(copy),
      events: (projectId) => store.events.filter((e) => projectId === undefined || e.projectId === projectId),
      deleteKeyOutOfBand: (org, projectSlug, keyId) => {
        const key = store.keys(store.requireProject(org, projectSlug)).find((k) => k.id === keyId);
        if (!key) throw new Error(`stand-in: no key ${keyId} in ${org}/${projectSlug}`);
        store.deleteKey(key);
      },
      deleteProjectOutOfBand: (org, projectSlug) => store.deleteProject(store.requireProject(org, projectSlug)),
      createProjectOutOfBand: (org, teamSlug, slug) =>
        copy(store.createProject(org, store.requireTeam(org, teamSlug), { slug, name: slug, platform: 'other', defaultRules: true })),
      teamMembers: (org, teamSlug) => [...store.requireTeam(org, teamSlug).members],
      orgMembers: (org) => store.members(org).map((m) => m.email),
      addOrgMember: (org, email) => store.addMember(org, email),
      seedProjects: (org, items) =>
        store.seed(org, items).map(({ project, key }) => {
          const view = keyView(key, baseUrl) as { dsn: { public: string; secret: string } };
          return { projectId: project.id, slug: project.slug, keyId: key.id, dsn: { public: view.dsn.public, secret: view.dsn.secret } };
        }),
    },
    waitForEvent: (pred, timeoutMs = 5000) => {
      const already = store.events.find(pred);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (e: ReceivedEvent) => {
            clearTimeout(t);
            resolve(e);
          },
          reject: (e: Error) => {
            clearTimeout(t);
            reject(e);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`stand-in: no matching event within ${timeoutMs} ms (${store.events.length} received)`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of waiters) w.reject(new Error('stand-in closed'));
      waiters.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await done;
    },
  };
  return standin;
}
