import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CatalogService } from '../../src/catalog/catalog.service';
import { SecretBox } from '../../src/common/crypto';
import { loadConfig } from '../../src/config/load-config';
import { dataSourceOptions } from '../../src/database/database';
import { InstanceOpsService, ProvisionSpec } from '../../src/instances/instance-ops.service';
import { ReconcileQueue, SqlExecutor } from '../../src/instances/reconcile-queue.port';
import { TypeormInstanceStore } from '../../src/instances/typeorm-instance.store';
import { freshDatabase } from '../harness/database';

/** Enqueues inside the caller's transaction, as pg-boss does with its `db` option. */
class InTransactionQueue extends ReconcileQueue {
  ids: string[] = [];
  async enqueue(ids: string[], db?: SqlExecutor) {
    if (db) await db.executeSql('SELECT 1');
    this.ids.push(...ids);
  }
}

/** Fails instead of hanging: a read outside the lock's transaction waits forever for a second pool connection. */
async function settles<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in 20 s: a read under the module lock waits for another connection`)), 20_000);
  });
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Issue 9 item 4: reads made while a module lock is held go through that lock's transaction. With a pool of one
 * connection every platform operation completes; a read through the store's pool instead waits for a second
 * connection while the lock's transaction holds the only one (and under load the same pattern drains any pool,
 * since every request holding a lock then wants a second connection).
 */
describe('reads under a module lock use its transaction (pool of one connection)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let ops: InstanceOpsService;
  const caller = { protocol: 'osb' as const, actor: 'test' };
  const spec = (over: Partial<ProvisionSpec> = {}): ProvisionSpec => ({
    origin: 'osb',
    externalId: 'lock-1',
    app: 'shop',
    module: 'web',
    env: 'prod',
    plan: 'default',
    parameters: { p: 1 },
    strictParameters: true,
    ...over,
  });

  beforeAll(async () => {
    db = await freshDatabase('lockreads');
    ds = new DataSource(dataSourceOptions(db.url, 1));
    await ds.initialize();
    const config = loadConfig({ SVC_SENTRY_UPSTREAM_URL: 'https://sentry.example', SVC_SENTRY_UPSTREAM_TOKEN: 't', SVC_SENTRY_UPSTREAM_ORG: 'acme' });
    ops = new InstanceOpsService(
      new TypeormInstanceStore(ds, new InTransactionQueue()),
      new CatalogService(config),
      new SecretBox(randomBytes(32).toString('hex')),
    );
  });
  afterAll(async () => {
    // A hung transaction would keep destroy() waiting: the database is dropped with FORCE either way.
    await Promise.race([ds?.destroy(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await db?.drop();
  });

  it('provision, provision again while in progress, bind twice, unbind, deprovision twice', async () => {
    expect((await settles('provision', ops.provision(spec(), caller))).outcome).toBe('created');
    expect((await settles('a second provision (in progress)', ops.provision(spec(), caller))).outcome).toBe('in-progress');
    expect((await settles('bind', ops.bind('osb', 'lock-1', 'b-1', {}, caller))).outcome).toBe('created');
    expect((await settles('a second bind (in progress)', ops.bind('osb', 'lock-1', 'b-1', {}, caller))).outcome).toBe('in-progress');
    expect((await settles('unbind', ops.unbind('osb', 'lock-1', 'b-1', caller))).outcome).toBe('created');
    expect((await settles('deprovision', ops.deprovision('osb', 'lock-1', caller))).outcome).toBe('created');
    expect((await settles('a second deprovision (in progress)', ops.deprovision('osb', 'lock-1', caller))).outcome).toBe('in-progress');
  });
});
