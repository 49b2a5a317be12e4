import 'reflect-metadata';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/database';
import { PgEnabledTargets } from '../../src/instances/pg-enabled-targets';
import { TypeormInstanceStore } from '../../src/instances/typeorm-instance.store';
import { ReconcileQueue } from '../../src/reconcile/reconcile-queue';
import { EnabledTargetsView } from '../../src/kubernetes/webhook/enabled-targets';
import { freshDatabase, query } from '../harness/database';
import { waitFor } from '../support/app';

/**
 * The webhook's view of enabled targets on real PostgreSQL: two replicas' views (each its own pool and its own
 * LISTEN connection) follow the instances table through the trigger's NOTIFY, re-reading only the changed rows;
 * a full load happens at start and after the listener's connection was lost, and catches what happened meanwhile.
 */
describe('webhook view: incremental, over LISTEN/NOTIFY on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  const sources: DataSource[] = [];
  const views: EnabledTargetsView[] = [];
  let n = 0;

  const replica = async (name: string, opts: { reconnectMs?: number } = {}) => {
    const ds = new DataSource(dataSourceOptions(db.url, 3));
    await ds.initialize();
    sources.push(ds);
    const source = new PgEnabledTargets(ds, { applicationName: `view-${name}`, reconnectMs: opts.reconnectMs ?? 100, reconnectMaxMs: 2000 });
    const view = new EnabledTargetsView(source, { retryMs: 100, retryMaxMs: 1000 });
    views.push(view);
    await view.start();
    return { ds, source, view };
  };

  /** An instance row as the reconciler leaves it once its Secret is written (or without a Secret yet). */
  const insert = async (over: { app?: string; module?: string; env?: string; namespace?: string | null; desired?: string } = {}) => {
    const app = over.app ?? `app${++n}`;
    const module = over.module ?? 'web';
    const env = over.env ?? 'stag';
    const namespace = over.namespace === undefined ? `${app}-${env}` : over.namespace;
    const secret = namespace === null ? null : JSON.stringify({ cluster: 'main', namespace, name: `svc-sentry-${module}` });
    const [row] = await query<{ id: string }>(
      db.url,
      `INSERT INTO instances (app, module, env, plan, desired, state, origin, secret) VALUES ($1, $2, $3, 'default', $4, 'ready', 'rest', $5) RETURNING id`,
      [app, module, env, over.desired ?? 'present', secret],
    );
    return { id: row.id, app, module, env, namespace: namespace ?? `${app}-${env}` };
  };

  beforeAll(async () => {
    db = await freshDatabase('view');
  });

  afterAll(async () => {
    for (const v of views) await v.stop();
    for (const ds of sources) await ds.destroy();
    await db?.drop();
  });

  it('a change reaches both replicas within 2 s; only the changed rows are re-read; no full reload after the start', async () => {
    const before = await insert();
    const a = await replica('a');
    const b = await replica('b');
    for (const { view } of [a, b]) {
      expect(view.lookup(before.namespace, before.app, before.module)?.secretName).toBe('svc-sentry-web');
      expect(view.stale).toBeUndefined();
    }

    // A new enabled instance (inserted with its Secret recorded), timed from its commit to each view.
    const t0 = Date.now();
    const added = await insert();
    const seen = await Promise.all(
      [a, b].map(({ view }) => waitFor(async () => view.lookup(added.namespace, added.app, added.module) && Date.now() - t0, 5000, 5)),
    );
    console.log(`new instance visible in the two views after ${seen.join(' ms and ')} ms`);
    for (const ms of seen) expect(ms).toBeLessThanOrEqual(2000);

    // An instance whose Secret the reconciler records later (the path it takes: InstanceStore.updateInstance).
    const pending = await insert({ namespace: null });
    const store = new TypeormInstanceStore(a.ds, {} as ReconcileQueue);
    await store.updateInstance(pending.id, { secret: { cluster: 'main', namespace: 'moved-ns', name: 'svc-sentry-web' } });
    await waitFor(async () => [a, b].every(({ view }) => view.lookup('moved-ns', pending.app, pending.module)), 2000, 5);

    // The Secret moves to another namespace: the old entry goes, the new one is there.
    await store.updateInstance(pending.id, { secret: { cluster: 'main', namespace: 'moved-again', name: 'svc-sentry-web' } });
    await waitFor(async () => [a, b].every(({ view }) => view.lookup('moved-again', pending.app, pending.module)), 2000, 5);
    for (const { view } of [a, b]) expect(view.lookup('moved-ns', pending.app, pending.module)).toBeUndefined();

    // What the reconciler writes on every pass (state, timestamps, generations) notifies nothing: after such an update
    // of `before`, the next notified change is the only id re-read.
    const applied = [a.view.applied, b.view.applied];
    await query(db.url, `UPDATE instances SET state = 'provisioning', observed_generation = 7, reconciled_at = now(), updated_at = now() WHERE id = $1`, [
      before.id,
    ]);
    const marker = await insert();
    await waitFor(async () => [a, b].every(({ view }) => view.lookup(marker.namespace, marker.app, marker.module)), 2000, 5);
    expect([a.view.applied - applied[0], b.view.applied - applied[1]]).toEqual([1, 1]);

    expect([a.view.reloads, b.view.reloads]).toEqual([1, 1]);
    expect(a.view.size).toBe(4);
    expect(b.view.size).toBe(4);
  });

  it('a disabled or deleted instance leaves every view; two environments sharing a namespace stay apart', async () => {
    const a = await replica('c');
    const b = await replica('d');
    const stag = await insert({ namespace: 'shared-ns', env: 'stag', app: 'shared' });
    const prod = await insert({ namespace: 'shared-ns', env: 'prod', app: 'shared' });
    const gone = await insert();
    await waitFor(
      async () => [a, b].every(({ view }) => view.lookup('shared-ns', 'shared', 'web') && view.lookup(gone.namespace, gone.app, gone.module)),
      2000,
      5,
    );

    await query(db.url, `UPDATE instances SET desired = 'absent', state = 'deprovisioning', generation = generation + 1 WHERE id = $1`, [stag.id]);
    await query(db.url, `DELETE FROM instances WHERE id = $1`, [gone.id]);
    await waitFor(async () => [a, b].every(({ view }) => !view.lookup(gone.namespace, gone.app, gone.module)), 2000, 5);
    for (const { view } of [a, b]) {
      // prod still answers for the shared namespace; stag is gone from the view.
      expect(view.lookup('shared-ns', 'shared', 'web')?.env).toBe('prod');
    }
    // The reconciler clears the Secret of the other one: nothing answers any more.
    await query(db.url, `UPDATE instances SET secret = NULL WHERE id = $1`, [prod.id]);
    await waitFor(async () => [a, b].every(({ view }) => !view.lookup('shared-ns', 'shared', 'web')), 2000, 5);
    expect([a.view.reloads, b.view.reloads]).toEqual([1, 1]);
  });

  it('the listener killed by pg_terminate_backend: the view goes stale, reconnects, reloads once and catches what changed meanwhile', async () => {
    // A slow first reconnect so that the changes below certainly happen while this replica is not listening.
    const down = await replica('e', { reconnectMs: 1500 });
    const other = await replica('f');
    const kept = await insert();
    const toDisable = await insert();
    const toDelete = await insert();
    await waitFor(async () => [down, other].every(({ view }) => view.lookup(toDelete.namespace, toDelete.app, toDelete.module)), 2000, 5);
    expect(down.view.reloads).toBe(1);

    const killed = await query<{ ok: boolean }>(db.url, `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'view-e'`);
    expect(killed).toEqual([{ ok: true }]);
    await waitFor(async () => down.view.stale, 5000, 5);
    expect(down.view.stale!.reason).toMatch(/change feed lost/);
    expect((await register.getSingleMetric('svc_sentry_webhook_view_stale')!.get()).values[0].value).toBe(1);

    const added = await insert();
    await query(db.url, `UPDATE instances SET desired = 'absent' WHERE id = $1`, [toDisable.id]);
    await query(db.url, `DELETE FROM instances WHERE id = $1`, [toDelete.id]);
    // The other replica sees them at once; this one, not listening, still answers from its last view.
    await waitFor(
      async () => other.view.lookup(added.namespace, added.app, added.module) && !other.view.lookup(toDelete.namespace, toDelete.app, toDelete.module),
      2000,
      5,
    );
    expect(down.view.lookup(added.namespace, added.app, added.module)).toBeUndefined();
    expect(down.view.lookup(toDelete.namespace, toDelete.app, toDelete.module)).toBeDefined();

    const t0 = Date.now();
    await waitFor(async () => !down.view.stale, 10_000, 5);
    console.log(`listener reconnected and the view reloaded ${Date.now() - t0} ms after the changes`);
    expect(down.view.lookup(added.namespace, added.app, added.module)).toBeDefined();
    expect(down.view.lookup(toDisable.namespace, toDisable.app, toDisable.module)).toBeUndefined();
    expect(down.view.lookup(toDelete.namespace, toDelete.app, toDelete.module)).toBeUndefined();
    expect(down.view.lookup(kept.namespace, kept.app, kept.module)).toBeDefined();
    expect(down.view.reloads).toBe(2);
    expect(down.source.connects).toBe(2);
    expect(other.view.reloads).toBe(1);

    // And it listens again: the next change arrives without another reload.
    const after = await insert();
    await waitFor(async () => down.view.lookup(after.namespace, after.app, after.module), 2000, 5);
    expect(down.view.reloads).toBe(2);
  });
});
