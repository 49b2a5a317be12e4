import { ChildProcess } from 'node:child_process';
import { freshDatabase } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { API_TOKEN, upstreamEnv, waitFor } from '../support/app';
import { startMain, stopProcess } from '../support/worker-process';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Role all (what `npm start` and the chart's combined Deployment run): HTTP in the main process, the reconcile worker in
 * a child process of its own, so passes never hold the event loop that answers requests. The worker's passes converge,
 * /metrics sums both processes, a worker that dies is started again, and a stop takes both down.
 */
describe('role all: the reconcile worker in a process of its own', () => {
  let standin: SentryStandin;
  let db: { url: string; drop: () => Promise<void> };
  let main: ChildProcess | undefined;
  beforeAll(async () => {
    standin = await startSentryStandin();
    db = await freshDatabase('workerproc');
  });
  afterAll(async () => {
    if (main) await stopProcess(main);
    await standin?.close();
    await db?.drop();
  });

  it('passes run in the worker process; /metrics has both; a killed worker is started again; SIGTERM stops both', async () => {
    // Info: the test reads the worker's start-up line and the restart error.
    const svc = await startMain({
      DATABASE_URL: db.url,
      SVC_SENTRY_ENCRYPTION_KEY: 'cd'.repeat(32),
      ...upstreamEnv(standin.url, { SVC_SENTRY_LOG_LEVEL: 'info' }),
    });
    main = svc.child;
    const { base, lines } = svc;
    const workerPids = () =>
      lines()
        .filter((l) => l.msg === 'reconcile worker started')
        .map((l) => l.pid);
    const headers = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
    const toggle = (app: string) =>
      fetch(`${base}/api/v1/apps/${app}/modules/web/monitoring`, { method: 'PUT', headers, body: JSON.stringify({ enabled: true }) });
    const ready = (app: string) =>
      waitFor(
        async () => {
          const r = await fetch(`${base}/api/v1/apps/${app}/modules/web/monitoring`, { headers });
          const body = (await r.json()) as { environments: Record<string, { state: string }> };
          return Object.values(body.environments).length === 2 && Object.values(body.environments).every((e) => e.state === 'ready');
        },
        60_000,
        250,
      );
    const metric = async (name: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith(name))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };

    await waitFor(async () => workerPids().length === 1, 90_000, 300).catch((e) => {
      throw new Error(`${e}\n${svc.raw().slice(-3000)}`);
    });
    const [first] = workerPids();
    expect(first).not.toBe(main.pid);
    const summary = lines().find((l) => /listening/.test(l.msg))!;
    expect(summary.pid).toBe(main.pid);
    expect(summary.msg).toMatch(/\brole all\b/);

    expect((await toggle('alpha')).status).toBe(202);
    await ready('alpha');
    // Passes ran in the worker; the toggle was counted here; /metrics answers both.
    expect(await metric('svc_sentry_reconcile_total{outcome="ready"}')).toBeGreaterThanOrEqual(2);
    expect(await metric('svc_sentry_toggles_total')).toBe(1);

    process.kill(first, 'SIGKILL');
    await waitFor(async () => workerPids().length === 2, 30_000, 200).catch((e) => {
      throw new Error(`${e}\n${svc.raw().slice(-3000)}`);
    });
    const second = workerPids()[1];
    expect(second).not.toBe(first);
    expect(lines().some((l) => l.level === 50 && /reconcile worker process exited \(SIGKILL\); starting it again/.test(l.msg))).toBe(true);
    expect(await metric('svc_sentry_worker_process_restarts_total')).toBe(1);
    expect((await toggle('beta')).status).toBe(202);
    await ready('beta');

    const exited = new Promise<number | null>((r) => main!.once('exit', (code) => r(code)));
    main.kill('SIGTERM');
    expect(await exited).toBe(0);
    main = undefined;
    expect(alive(second)).toBe(false);
  }, 180_000);
});
