import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/load-config';
import { dataSourceOptions, runMigrations } from '../../src/database/database';
import { TypeormInstanceStore } from '../../src/instances/typeorm-instance.store';
import { PgBossQueue, PRIORITY, PROMOTE_WAITING_SQL, RECONCILE_QUEUE, REPAIR_QUEUE, RESYNC_QUEUE } from '../../src/reconcile/pg-boss.queue';
import { emptyDatabase } from '../harness/database';

/**
 * A queue that already exists when a process starts (any restart, any second replica, role all's worker process):
 * its start updates the queues' settings and must keep their policy `short` (one waiting job per instance). pg-boss's
 * updateQueue sets a policy it is not given to `standard`: after the first restart every toggle added a job, 4,425
 * waiting jobs for 200 instances in one bench:api run, each promotion and fetch scanning all of them.
 */
/** A migrated empty database, a way to make queues on it and a client to read pgboss's tables; dropped afterwards. */
async function onEmptyDatabase(prefix: string, fn: (newQueue: () => PgBossQueue, client: Client, url: string) => Promise<void>): Promise<void> {
  const db = await emptyDatabase(prefix);
  const cfg = loadConfig({}).reconcile;
  const client = new Client({ connectionString: db.url });
  try {
    await runMigrations(db.url);
    await client.connect();
    await fn(() => new PgBossQueue(db.url, cfg, { supervise: false, onError: () => undefined }), client, db.url);
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}

/** Runs `fn` while the queue is started; stops it afterwards. */
async function whileStarted(queue: PgBossQueue, fn: () => Promise<void> = async () => undefined): Promise<void> {
  try {
    await queue.start();
    await fn();
  } finally {
    await queue.stop();
  }
}

describe('reconcile queue: a restarted process keeps one waiting job per instance', () => {
  it(
    'the second start leaves every queue short; enqueueing one instance three times leaves one waiting job',
    () =>
      onEmptyDatabase('queuerestart', async (newQueue, client) => {
        await whileStarted(newQueue());
        const second = newQueue();
        await whileStarted(second, async () => {
          const { rows: queues } = await client.query(`SELECT name, policy FROM pgboss.queue ORDER BY name`);
          expect(queues).toEqual([RECONCILE_QUEUE, REPAIR_QUEUE, RESYNC_QUEUE].sort().map((name) => ({ name, policy: 'short' })));
          const id = randomUUID();
          for (let i = 0; i < 3; i++) await second.enqueue([id]);
          const { rows } = await client.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND singleton_key = $2 AND state = 'created'`, [
            RECONCILE_QUEUE,
            id,
          ]);
          expect(rows[0].n).toBe(1);
        });
      }),
    120_000,
  );

  it(
    'an upgrade from a version that left the policy standard: one waiting job per instance stays, the most urgent, as short',
    () =>
      onEmptyDatabase('queueupgrade', async (newQueue, client) => {
        const old = newQueue();
        await old.start();
        // What the old start did on a restart: the policy back to standard. Then each toggle added a job.
        await old.boss.updateQueue(RECONCILE_QUEUE, { name: RECONCILE_QUEUE });
        const [a, b] = [randomUUID(), randomUUID()];
        for (let i = 0; i < 3; i++) await old.enqueue([a, b]);
        await old.boss.send(RECONCILE_QUEUE, { instanceId: a }, { singletonKey: a, priority: 1, startAfter: 600 });
        await old.stop();
        const waiting = async () =>
          (
            await client.query(`SELECT singleton_key AS key, policy, priority FROM pgboss.job WHERE name = $1 AND state = 'created' ORDER BY singleton_key`, [
              RECONCILE_QUEUE,
            ])
          ).rows;
        expect((await waiting()).length).toBe(7);
        const next = newQueue();
        await whileStarted(next, async () => {
          expect(await waiting()).toEqual([a, b].sort().map((key) => ({ key, policy: 'short', priority: PRIORITY.interactive })));
          await next.enqueue([a]);
          expect((await waiting()).length).toBe(2);
        });
      }),
    120_000,
  );

  it(
    "a toggle's promotion finds its instance's waiting job by the queue's index, whatever waits for other instances",
    () =>
      onEmptyDatabase('queuepromote', async (newQueue, client) => {
        const queue = newQueue();
        await whileStarted(queue, async () => {
          // 5,000 instances wait (a bulk migration's toggles); one more waits at resync priority, due later.
          const others = Array.from({ length: 5000 }, () => randomUUID());
          for (let i = 0; i < others.length; i += 1000) await queue.enqueue(others.slice(i, i + 1000));
          const mine = randomUUID();
          await queue.boss.send(RECONCILE_QUEUE, { instanceId: mine }, { singletonKey: mine, priority: PRIORITY.resync, startAfter: 600 });
          await client.query('ANALYZE pgboss.job');
          // The statement enqueue runs, as the planner plans it: the instance's key must be in an index condition. Before,
          // it scanned every waiting job of the queue (an index on the queue name) and filtered by key: a cost per toggle
          // that grew with the jobs waiting for other instances.
          await client.query('BEGIN');
          const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${PROMOTE_WAITING_SQL}`, [[mine]]);
          await client.query('ROLLBACK');
          type PlanNode = { 'Index Cond'?: string; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] };
          const nodes: PlanNode[] = [];
          const walk = (n: PlanNode) => (nodes.push(n), (n.Plans ?? []).forEach(walk));
          walk(rows[0]['QUERY PLAN'][0].Plan);
          expect(nodes.some((n) => /singleton_key/.test(n['Index Cond'] ?? ''))).toBe(true);
          expect(Math.max(0, ...nodes.map((n) => n['Rows Removed by Filter'] ?? 0))).toBeLessThan(10);
          // And it promotes: the waiting job takes the user's priority and is due now.
          await queue.enqueue([mine]);
          const { rows: job } = await client.query(
            `SELECT priority, start_after <= now() AS due FROM pgboss.job WHERE name = $1 AND singleton_key = $2 AND state = 'created'`,
            [RECONCILE_QUEUE, mine],
          );
          expect(job).toEqual([{ priority: PRIORITY.interactive, due: true }]);
        });
      }),
    120_000,
  );

  it(
    "a toggle's promotion is planned once per connection, not again on every toggle",
    () =>
      onEmptyDatabase('queueplan', async (newQueue, _client, url) => {
        const queue = newQueue();
        // One pooled connection: the store's transactions and the read of its prepared statements share it.
        const ds = new DataSource(dataSourceOptions(url, 1));
        await ds.initialize();
        try {
          await whileStarted(queue, async () => {
            const store = new TypeormInstanceStore(ds, queue);
            const id = randomUUID();
            for (let i = 0; i < 8; i++) await store.withModuleLock('planned', 'web', (tx) => tx.enqueue([id]));
            const rows: Array<{ generic_plans: string; custom_plans: string }> = await ds.query(
              `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'UPDATE pgboss.job SET priority%'`,
            );
            // PostgreSQL plans a prepared statement for its values 5 times, then keeps a generic plan when it costs no
            // more. pgboss.job is partitioned by queue name: with the name a parameter, every toggle was planned again
            // (0 generic plans; about 0.4 ms of PostgreSQL's CPU per toggle in bench:api).
            expect(rows).toHaveLength(1);
            expect(Number(rows[0].generic_plans)).toBeGreaterThanOrEqual(3);
          });
        } finally {
          await ds.destroy();
        }
      }),
    120_000,
  );
});
