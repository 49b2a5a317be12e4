import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

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
