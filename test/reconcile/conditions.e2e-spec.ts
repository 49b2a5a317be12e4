import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';
const DEV = 'dev@example.com';
const TYPES = ['ProjectReady', 'KeyReady', 'SecretReady', 'MembersSynced'];

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}
interface Env {
  state: string;
  dsn: string | null;
  error?: string;
  generation: number;
  observedGeneration: number;
  conditions: Condition[];
}

const byType = (e: Env) => Object.fromEntries(e.conditions.map((c) => [c.type, c]));

/**
 * Per-environment conditions through the REST GET, on real PostgreSQL with the Sentry stand-in and no Kubernetes
 * configured: what a normal enable reports, what an unreachable upstream reports, and observedGeneration following
 * generation (lastTransitionTime moving only when a status changes).
 */
describe('reconcile: conditions per environment (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG], orgMembers: { [ORG]: [DEV] } });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_RETRY_LIMIT: '20', SVC_SENTRY_RECONCILE_RETRY_DELAY: '1' }));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const envs = async (app: string): Promise<Record<string, Env>> => (await t.api('GET', `/api/v1/apps/${app}/modules/web/monitoring`)).body.environments;
  const settled = (app: string, generation: number) =>
    waitFor(async () => {
      const e = await envs(app);
      const all = Object.values(e);
      return all.length === 2 && all.every((x) => x.state === 'ready' && x.observedGeneration === generation && x.conditions?.length === 4) && e;
    }, 90_000);

  it('a normal enable: ProjectReady, KeyReady True; SecretReady True NoCluster (no Kubernetes); MembersSynced True NoDevelopers', async () => {
    expect((await t.api('PUT', '/api/v1/apps/cond/modules/web/monitoring', { enabled: true })).status).toBe(202);
    const e = await settled('cond', 1);
    for (const env of Object.values(e)) {
      expect(env.conditions.map((c) => c.type)).toEqual(TYPES);
      const c = byType(env);
      expect([c.ProjectReady.status, c.ProjectReady.reason]).toEqual(['True', 'Created']);
      expect([c.KeyReady.status, c.KeyReady.reason]).toEqual(['True', 'Active']);
      expect([c.SecretReady.status, c.SecretReady.reason]).toEqual(['True', 'NoCluster']);
      expect([c.MembersSynced.status, c.MembersSynced.reason]).toEqual(['True', 'NoDevelopers']);
      for (const cond of env.conditions) {
        expect(cond.reason).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(cond.message.length).toBeGreaterThan(0);
        expect(cond.observedGeneration).toBe(1);
        expect(new Date(cond.lastTransitionTime).toISOString()).toBe(cond.lastTransitionTime);
      }
      expect(env.generation).toBe(1);
    }
  });

  it('observedGeneration follows generation; lastTransitionTime changes only with the status', async () => {
    const before = await settled('cond', 1);
    expect((await t.api('PUT', '/api/v1/apps/cond/modules/web/monitoring', { enabled: true, developers: [DEV] })).status).toBe(202);
    const after = await waitFor(async () => {
      const e = await envs('cond');
      return Object.values(e).every((x) => x.generation === 2 && x.conditions.every((c) => c.observedGeneration === 2)) && e;
    }, 90_000);
    for (const [name, env] of Object.entries(after)) {
      const was = byType(before[name]);
      const now = byType(env);
      expect(env.observedGeneration).toBe(2);
      expect([now.MembersSynced.status, now.MembersSynced.reason]).toEqual(['True', 'Synced']);
      // Same status as before: the transition time stays; the reason may change.
      for (const type of TYPES) expect(now[type].lastTransitionTime).toBe(was[type].lastTransitionTime);
    }
    expect(standin.state.teamMembers(ORG, 'cond')).toEqual([DEV]);
  });

  it('upstream unreachable: ProjectReady False UpstreamUnavailable while retrying, the rest waiting; True once it recovers', async () => {
    standin.setFaults({ errorRate: 1 });
    try {
      expect((await t.api('PUT', '/api/v1/apps/down/modules/web/monitoring', { enabled: true })).status).toBe(202);
      const e = await waitFor(async () => {
        const x = await envs('down');
        return Object.values(x).length === 2 && Object.values(x).every((v) => byType(v).ProjectReady?.status === 'False') && x;
      }, 90_000);
      for (const env of Object.values(e)) {
        const c = byType(env);
        expect(c.ProjectReady.reason).toBe('UpstreamUnavailable');
        expect(c.ProjectReady.message).toMatch(/5\d\d|unavailable|retry/i);
        expect(c.KeyReady.status).toBe('Unknown');
        expect(env.dsn).toBeNull();
      }
    } finally {
      standin.setFaults({});
    }
    const ok = await settled('down', 1);
    for (const env of Object.values(ok)) expect(byType(env).ProjectReady.status).toBe('True');
  });
});
