import 'reflect-metadata';
import { loadConfig } from '../../src/config/load-config';
import { runMigrations } from '../../src/database/database';
import { PgBossQueue } from '../../src/reconcile/pg-boss.queue';
import { emptyDatabase } from '../harness/database';

const ROUNDS = 20;

/**
 * Replicas starting at the same moment on an empty database: each runs what main.ts and the worker
 * run before serving (schema migrations, then the job queue's schema and queues), each on its own
 * connections, all at once. Every start must succeed, every round (the pg-boss queue creation raced
 * into "deadlock detected" in 15-40 % of rounds before it ran under the migration advisory lock).
 */
describe.each([2, 3])('reconcile: %i replicas starting together on an empty database', (replicas) => {
  it(`all start, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    const cfg = loadConfig({}).reconcile;
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const db = await emptyDatabase('crowd');
      const queues = Array.from({ length: replicas }, () => new PgBossQueue(db.url, cfg, { supervise: false, onError: () => undefined }));
      try {
        const starts = await Promise.allSettled(
          queues.map(async (q) => {
            await runMigrations(db.url);
            await q.start();
          }),
        );
        starts.forEach((s, i) => {
          if (s.status === 'rejected') failures.push(`round ${round + 1}, replica ${i + 1}: ${(s.reason as Error)?.message ?? s.reason}`);
        });
      } finally {
        await Promise.all(queues.map((q) => q.stop()));
        await db.drop();
      }
    }
    console.log(JSON.stringify({ suite: 'start-crowd', replicas, rounds: ROUNDS, failedStarts: failures.length, failures: failures.slice(0, 3) }));
    expect(failures).toEqual([]);
  }, 600_000);
});
