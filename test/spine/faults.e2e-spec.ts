import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { LossRule, LossyProxy, startLossyProxy } from '../support/lossy-proxy';

const ORG = 'acme';
const APPS = 100;

/** 20% 5xx, 10% 429 and some timeouts upstream: 100 app modules still converge with a bounded number of calls. */
describe('spine: converges through upstream faults', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(
      upstreamEnv(standin.url, {
        SVC_SENTRY_RECONCILE_CONCURRENCY: '16',
        SVC_SENTRY_RECONCILE_RETRY_LIMIT: '10',
        SVC_SENTRY_UPSTREAM_TIMEOUT_MS: '1000',
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  it('provisions 100 app modules with 20% 5xx, 10% 429 and 3% timeouts', async () => {
    // Faults apply to management calls only; resolve the region first so every app sees the same faults.
    standin.setFaults({ errorRate: 0.2, rateLimit429Rate: 0.1, timeoutRate: 0.03 });
    standin.resetStats();
    const apps = Array.from({ length: APPS }, (_, i) => `fault${i}`);
    const answers = await Promise.all(apps.map((a) => t.api('PUT', `/api/v1/apps/${a}/modules/default/monitoring`, { enabled: true })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await waitFor(
      async () => {
        const states = await Promise.all(apps.map(async (a) => (await t.api('GET', `/api/v1/apps/${a}/modules/default/monitoring`)).body));
        return states.every((s) => Object.values<any>(s.environments).every((e) => e.state === 'ready'));
      },
      240_000,
      1000,
    );
    const stats = standin.stats();
    standin.setFaults({});
    // Minimum work: per app one team + per env one project and one key = 5 calls, plus the region lookup.
    const minimum = APPS * 5 + 1;
    console.log(
      JSON.stringify({
        suite: 'faults',
        upstreamCalls: stats.calls,
        minimum,
        ratio: +(stats.calls / minimum).toFixed(2),
        status: stats.status,
        timeouts: stats.timeouts,
      }),
    );
    expect(stats.calls).toBeLessThanOrEqual(minimum * 3);
    expect(stats.rateLimited + (stats.status[500] ?? 0) + (stats.status[502] ?? 0) + (stats.status[503] ?? 0)).toBeGreaterThan(0);

    const projects = standin.state.projects(ORG);
    expect(projects).toHaveLength(APPS * 2);
    for (const p of projects) expect(standin.state.keys(ORG, p.slug).filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(1);
    expect(standin.state.teams(ORG)).toHaveLength(APPS);
  }, 300_000);
});

/**
 * The failure that matters most: the upstream APPLIED the call but its answer was lost — a 502 from the gateway, or
 * no answer until svc-sentry's timeout. The first project create, key create and key delete of every environment
 * meets it (alternating 502 and no answer). Enabling and then disabling must converge with no duplicate project,
 * no second key and no orphan key left upstream.
 */
describe('spine: converges when applied calls lose their answer (502 or timeout)', () => {
  const LOSSY_APPS = 12;
  const RULES: LossRule[] = [
    { name: 'project create', method: 'POST', path: /^\/api\/0\/teams\/[^/]+\/[^/]+\/projects\/$/ },
    { name: 'key create', method: 'POST', path: /^\/api\/0\/projects\/[^/]+\/[^/]+\/keys\/$/ },
    { name: 'key delete', method: 'DELETE', path: /^\/api\/0\/projects\/[^/]+\/[^/]+\/keys\/[^/]+\/$/ },
  ];
  let standin: SentryStandin;
  let proxy: LossyProxy;
  let t: TestApp;
  const apps = Array.from({ length: LOSSY_APPS }, (_, i) => `lost${i}`);
  const slugs = apps.flatMap((a) => ['prod', 'stag'].map((e) => `${a}-default-${e}`)).sort();
  const ourKeys = (slug: string) => standin.state.keys(ORG, slug).filter((k) => k.name.startsWith('svc-sentry:'));
  const allIn = (state: string) =>
    waitFor(
      async () => {
        const states = await Promise.all(apps.map(async (a) => (await t.api('GET', `/api/v1/apps/${a}/modules/default/monitoring`)).body));
        return states.every((s) => Object.values<any>(s.environments).every((e) => e.state === state));
      },
      300_000,
      1000,
    );

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    proxy = await startLossyProxy(standin.url, RULES);
    t = await startTestApp(
      upstreamEnv(proxy.url, {
        SVC_SENTRY_RECONCILE_CONCURRENCY: '8',
        SVC_SENTRY_RECONCILE_RETRY_LIMIT: '10',
        SVC_SENTRY_UPSTREAM_TIMEOUT_MS: '1000',
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await standin?.close();
  });

  it('project create, key create and key delete each lose their first answer: 0 duplicates, 0 orphan keys', async () => {
    const on = await Promise.all(apps.map((a) => t.api('PUT', `/api/v1/apps/${a}/modules/default/monitoring`, { enabled: true })));
    expect(on.map((a) => a.status)).toEqual(apps.map(() => 202));
    await allIn('ready');

    // Exactly one project per environment, and in each exactly one svc-sentry key: the one the database holds.
    expect(
      standin.state
        .projects(ORG)
        .map((p) => p.slug)
        .sort(),
    ).toEqual(slugs);
    const active = await query(
      t.databaseUrl,
      `SELECT i.project_slug AS slug, k.upstream_key_id AS key FROM instances i JOIN keys k ON k.instance_id = i.id AND k.state = 'active'`,
    );
    expect(active.map((r) => r.slug).sort()).toEqual(slugs);
    for (const r of active) expect({ slug: r.slug, keys: ourKeys(r.slug).map((k) => k.id) }).toEqual({ slug: r.slug, keys: [r.key] });

    const off = await Promise.all(apps.map((a) => t.api('PUT', `/api/v1/apps/${a}/modules/default/monitoring`, { enabled: false })));
    expect(off.map((a) => a.status)).toEqual(apps.map(() => 202));
    await allIn('disabled');

    // Every svc-sentry key revoked upstream (no orphan), the Default keys and the projects kept (policy keep).
    for (const slug of slugs) {
      expect({ slug, ours: ourKeys(slug).length, default: standin.state.keys(ORG, slug).filter((k) => k.name === 'Default').length }).toEqual({
        slug,
        ours: 0,
        default: 1,
      });
    }
    expect(standin.state.projects(ORG)).toHaveLength(slugs.length);

    // The faults really happened: every first create/delete was applied upstream and its answer lost, half as a
    // 502 and half as no answer at all, and svc-sentry gave up on every hanging call itself (its timeout).
    const counts = proxy.counts();
    console.log(JSON.stringify({ suite: 'faults-lost-responses', environments: slugs.length, counts }));
    for (const rule of RULES) {
      const c = counts[rule.name];
      expect({ rule: rule.name, lost: c.lost502 + c.lostHang }).toEqual({ rule: rule.name, lost: slugs.length });
      expect(c.lost502).toBeGreaterThan(0);
      expect(c.lostHang).toBeGreaterThan(0);
      expect({ rule: rule.name, timedOutByClient: c.abortedByClient }).toEqual({ rule: rule.name, timedOutByClient: c.lostHang });
    }
  }, 600_000);
});
