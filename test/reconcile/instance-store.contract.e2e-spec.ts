import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/database';
import { InstanceStore, ModuleTx } from '../../src/instances/instance-store';
import { Instance } from '../../src/instances/model';
import { TypeormInstanceStore } from '../../src/instances/typeorm-instance.store';
import { ReconcileQueue } from '../../src/reconcile/reconcile-queue';
import { freshDatabase, refuseConnections } from '../harness/database';
import { ErrorCode } from '../../src/common/domain-error';
import { metrics } from '../../src/metrics/metrics';
import { InMemoryInstanceStore } from '../fakes/in-memory-instance.store';

/** PostgreSQL's jsonb key order: shorter keys first, then bytewise. */
const jsonbKeys = (o: object) => Object.keys(o).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));

class RecordingQueue extends ReconcileQueue {
  ids: string[] = [];
  async enqueue(ids: string[]) {
    this.ids.push(...ids);
  }
}

interface Subject {
  store: InstanceStore;
  close(): Promise<void>;
}

const implementations: Array<[string, () => Promise<Subject>]> = [
  ['in-memory', async () => ({ store: new InMemoryInstanceStore(), close: async () => undefined })],
  [
    'TypeORM on PostgreSQL',
    async () => {
      const db = await freshDatabase('contract');
      const ds = new DataSource(dataSourceOptions(db.url, 4));
      await ds.initialize();
      return {
        store: new TypeormInstanceStore(ds, new RecordingQueue()),
        close: async () => {
          await ds.destroy();
          await db.drop();
        },
      };
    },
  ],
];

const base = (app: string, env: string): Partial<Instance> & Pick<Instance, 'app' | 'module' | 'env'> => ({
  app,
  module: 'web',
  env,
  plan: 'default',
  upstream: null,
  desired: 'present',
  state: 'pending',
  error: null,
  generation: 1,
  observedGeneration: 0,
  teamSlug: null,
  projectSlug: null,
  projectId: null,
  projectOwned: false,
  dsnSealed: null,
  targetRequest: null,
  secret: null,
  developers: null,
  membersSynced: null,
  origin: 'rest',
  externalId: null,
  parameters: null,
});

/** One suite, two implementations of the InstanceStore port: the fake used by unit specs cannot drift from the real store. */
describe.each(implementations)('InstanceStore contract: %s', (_name, make) => {
  let s: Subject;
  beforeAll(async () => {
    s = await make();
  });
  afterAll(async () => s?.close());

  it('stores JSON values as jsonb does: equal content, keys in jsonb order', async () => {
    const targets = { stag: { namespace: 'shop-stag' }, prod: { namespace: 'shop-prod', cluster: 'main' } };
    await s.store.withModuleLock('json', 'web', async (tx) => {
      await tx.saveAttachment({ app: 'json', module: 'web', enabled: true, plan: 'default', developers: ['b@x.io', 'a@x.io'], targets });
    });
    const a = (await s.store.findAttachment('json', 'web'))!;
    expect(a.targets).toEqual(targets);
    expect(Object.keys(a.targets!)).toEqual(jsonbKeys(targets));
    expect(Object.keys(a.targets!.prod)).toEqual(jsonbKeys(targets.prod));
    // Arrays keep their order.
    expect(a.developers).toEqual(['b@x.io', 'a@x.io']);
  });

  it('a module transaction that throws writes nothing', async () => {
    await expect(
      s.store.withModuleLock('rollback', 'web', async (tx) => {
        await tx.saveAttachment({ app: 'rollback', module: 'web', enabled: true, plan: 'default', developers: null, targets: null });
        await tx.saveInstance(base('rollback', 'prod'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await s.store.findAttachment('rollback', 'web')).toBeNull();
    expect(await s.store.findInstances('rollback', 'web')).toEqual([]);
  });

  it('writes issued together, one failing: the transaction fails with that error and writes nothing', async () => {
    await expect(
      s.store.withModuleLock('together', 'web', (tx) =>
        Promise.all([
          tx.saveAttachment({ app: 'together', module: 'web', enabled: true, plan: 'default', developers: null, targets: null }),
          tx.saveInstance(base('together', 'prod')),
          tx.saveInstance(base('together', 'stag')),
          Promise.reject(new Error('boom')),
        ]),
      ),
    ).rejects.toThrow('boom');
    expect(await s.store.findAttachment('together', 'web')).toBeNull();
    expect(await s.store.findInstances('together', 'web')).toEqual([]);
  });

  it('the last statements issued, COMMIT goes with them: their writes are committed and answered', async () => {
    const [attachment, instance] = await s.store.withModuleLock('lastly', 'web', async (tx) => {
      const written = Promise.all([
        tx.saveAttachment({ app: 'lastly', module: 'web', enabled: true, plan: 'default', developers: null, targets: null }),
        tx.saveInstance(base('lastly', 'prod')),
        tx.enqueue([]),
      ]);
      tx.lastStatementsIssued();
      return written;
    });
    expect(attachment).toMatchObject({ app: 'lastly', enabled: true });
    expect(instance).toMatchObject({ app: 'lastly', env: 'prod', generation: 1 });
    expect(await s.store.findAttachment('lastly', 'web')).toMatchObject({ id: attachment.id });
    expect(await s.store.findInstances('lastly', 'web')).toEqual([expect.objectContaining({ id: instance.id })]);
  });

  it('a statement issued once the last ones went out is refused; what they wrote stays committed', async () => {
    await expect(
      s.store.withModuleLock('afterlast', 'web', async (tx) => {
        const written = tx.saveInstance(base('afterlast', 'prod'));
        tx.lastStatementsIssued();
        await written;
        await tx.saveInstance(base('afterlast', 'stag'));
      }),
    ).rejects.toThrow(/lastStatementsIssued/);
    expect((await s.store.findInstances('afterlast', 'web')).map((i) => i.env)).toEqual(['prod']);
  });

  it('a save of a row the transaction did not read: inserted under its id when absent, its given columns updated when present', async () => {
    const id = randomUUID();
    const created = await s.store.withModuleLock('unread', 'web', (tx) => tx.saveInstance({ ...base('unread', 'prod'), id }));
    expect(created).toMatchObject({ id, app: 'unread', env: 'prod', state: 'pending', generation: 1, conditions: [] });
    await s.store.updateInstance(id, { projectSlug: 'unread-web-prod' });
    const updated = await s.store.withModuleLock('unread', 'web', (tx) => tx.saveInstance({ id, app: 'unread', module: 'web', env: 'prod', generation: 2 }));
    expect(updated).toMatchObject({ id, generation: 2, state: 'pending', projectSlug: 'unread-web-prod' });
    expect(await s.store.findInstances('unread', 'web')).toEqual([expect.objectContaining({ id, generation: 2, projectSlug: 'unread-web-prod' })]);
  });

  it("an app module's reads at once: the attachment and the instances the separate reads answer", async () => {
    await s.store.withModuleLock('atonce', 'web', (tx) =>
      Promise.all([
        tx.saveAttachment({ app: 'atonce', module: 'web', enabled: true, plan: 'default', developers: null, targets: null }),
        tx.saveInstance(base('atonce', 'stag')),
        tx.saveInstance(base('atonce', 'prod')),
      ]),
    );
    expect(await s.store.findModule('atonce', 'web')).toEqual({
      attachment: await s.store.findAttachment('atonce', 'web'),
      instances: await s.store.findInstances('atonce', 'web'),
    });
    expect((await s.store.findModule('atonce', 'web')).instances.map((i) => i.env)).toEqual(['prod', 'stag']);
    expect(await s.store.findModule('none', 'web')).toEqual({ attachment: null, instances: [] });
  });

  it('instances come back ordered by environment, as copies', async () => {
    await s.store.withModuleLock('order', 'web', async (tx) => {
      for (const env of ['stag', 'prod', 'dev']) await tx.saveInstance(base('order', env));
    });
    const found = await s.store.findInstances('order', 'web');
    expect(found.map((i) => i.env)).toEqual(['dev', 'prod', 'stag']);
    found[0].state = 'ready';
    expect((await s.store.getInstance(found[0].id))!.state).toBe('pending');
  });

  it('updateInstance changes only the given fields; resync lists only unsettled instances', async () => {
    const [a, b] = await s.store.withModuleLock('upd', 'web', async (tx) => [
      await tx.saveInstance(base('upd', 'prod')),
      await tx.saveInstance(base('upd', 'stag')),
    ]);
    await s.store.updateInstance(a.id, { state: 'ready', observedGeneration: 1, secret: { cluster: 'c', namespace: 'n', name: 's' } });
    const got = (await s.store.getInstance(a.id))!;
    expect({ state: got.state, observedGeneration: got.observedGeneration, generation: got.generation, plan: got.plan, secret: got.secret }).toEqual({
      state: 'ready',
      observedGeneration: 1,
      generation: 1,
      plan: 'default',
      secret: { cluster: 'c', namespace: 'n', name: 's' },
    });
    await s.store.updateInstance(b.id, { desired: 'absent', state: 'disabled', observedGeneration: 1 });
    // Both are settled (ready and disabled, each at its generation): a resync leaves them to the bulk checks.
    expect(await s.store.listUnsettledInstanceIds()).not.toEqual(expect.arrayContaining([a.id]));
    expect(await s.store.listUnsettledInstanceIds()).not.toEqual(expect.arrayContaining([b.id]));
    // A note pending, or a newer wish than the one observed, makes an instance unsettled again.
    await s.store.updateInstance(a.id, { error: 'team members not synced' });
    await s.store.updateInstance(b.id, { generation: 2 });
    expect(await s.store.listUnsettledInstanceIds()).toEqual(expect.arrayContaining([a.id, b.id]));
    expect((await s.store.listSecretHolders()).map((i) => i.id)).toContain(a.id);
  });

  it('a save in a module transaction answers the whole row as a read gives it, defaults included', async () => {
    const saved = await s.store.withModuleLock('whole', 'web', async (tx) => {
      const { teamSlug: _t, projectSlug: _p, membersSynced: _m, ...partial } = base('whole', 'prod');
      return tx.saveInstance(partial);
    });
    expect(saved).toEqual(await s.store.getInstance(saved.id));
    expect(saved).toMatchObject({ teamSlug: null, projectSlug: null, membersSynced: null, conditions: [], membersBackoff: null });
    const attachment = await s.store.withModuleLock('whole', 'web', (tx) =>
      tx.saveAttachment({ app: 'whole', module: 'web', enabled: true, plan: 'default', developers: ['a@x.io'], targets: null }),
    );
    expect(attachment).toEqual(await s.store.findAttachment('whole', 'web'));
  });

  it('a save in a module transaction writes only what it changes: what the reconciler wrote meanwhile stays', async () => {
    const inst = await s.store.withModuleLock('race', 'web', (tx) => tx.saveInstance(base('race', 'prod')));
    await s.store.withModuleLock('race', 'web', async (tx) => {
      const [read] = await tx.instances();
      // The reconciler (no module lock) records progress between this transaction's read and its write.
      await s.store.updateInstance(inst.id, { projectSlug: 'race-prod', conditions: [], observedGeneration: 1 });
      await tx.saveInstance({ ...read, developers: ['dev@x.io'], generation: read.generation + 1 });
    });
    expect(await s.store.getInstance(inst.id)).toMatchObject({ projectSlug: 'race-prod', observedGeneration: 1, developers: ['dev@x.io'], generation: 2 });
  });

  it("a module transaction's latest operation of its app module", async () => {
    const inst = await s.store.withModuleLock('lastop', 'web', (tx) => tx.saveInstance(base('lastop', 'prod')));
    expect(await s.store.withModuleLock('lastop', 'web', (tx) => tx.lastOperation())).toBeNull();
    const mk = (kind: string, module = 'web') =>
      s.store.withModuleLock('lastop', module, async (tx) => {
        const t = Date.now();
        while (Date.now() === t) await new Promise((r) => setImmediate(r));
        return tx.createOperation({
          kind,
          app: 'lastop',
          module,
          protocol: 'rest',
          actor: 't',
          originatingIdentity: null,
          request: {},
          instances: { [inst.id]: 1 },
          state: 'succeeded',
          description: null,
        });
      });
    await mk('enable');
    const latest = await mk('disable');
    await mk('enable', 'api');
    expect((await s.store.withModuleLock('lastop', 'web', (tx) => tx.lastOperation()))?.id).toBe(latest.id);
  });

  it("a protocol's present instances by engine app or project slug, oldest first", async () => {
    const named = (env: string, over: Partial<Instance>) => ({ ...base('named', env), origin: 'bkpaas' as const, ...over });
    // Saved one by one, each once the clock has moved on, so "oldest first" has one answer.
    const save = async (over: Partial<Instance> & { env: string }) => {
      const t = Date.now();
      while (Date.now() === t) await new Promise((r) => setImmediate(r));
      await s.store.withModuleLock('named', 'web', (tx) => tx.saveInstance(named(over.env, over)));
    };
    await save({ env: 'b', externalId: 'bk-2', projectSlug: 'shop-engine' });
    await save({ env: 'a', externalId: 'bk-1', parameters: { engine_app_name: 'shop-engine' } });
    await save({ env: 'c', externalId: 'bk-3', parameters: { engine_app_name: 'shop-engine' }, desired: 'absent' });
    await save({ env: 'd', externalId: 'osb-1', origin: 'osb', parameters: { engine_app_name: 'shop-engine' } });
    await save({ env: 'e', externalId: null, parameters: { engine_app_name: 'shop-engine' } });
    await save({ env: 'f', externalId: 'bk-4', parameters: { engine_app_name: 'other' } });
    expect(await s.store.externalIdsNamed('bkpaas', 'shop-engine')).toEqual(['bk-2', 'bk-1']);
    expect(await s.store.externalIdsNamed('osb', 'shop-engine')).toEqual(['osb-1']);
    expect(await s.store.externalIdsNamed('bkpaas', 'nothing')).toEqual([]);
  });

  it('operations: open ones per instance, finished once, listed newest first', async () => {
    const inst = await s.store.withModuleLock('ops', 'web', (tx) => tx.saveInstance(base('ops', 'prod')));
    const mk = (kind: string) =>
      s.store.withModuleLock('ops', 'web', (tx) =>
        tx.createOperation({
          kind,
          app: 'ops',
          module: 'web',
          protocol: 'rest',
          actor: 't',
          originatingIdentity: null,
          request: { enabled: true },
          instances: { [inst.id]: 1 },
          state: 'in progress',
          description: null,
        }),
      );
    const first = await mk('enable');
    const second = await mk('disable');
    expect((await s.store.openOperationsFor(inst.id)).map((o) => o.id).sort()).toEqual([first.id, second.id].sort());
    await s.store.finishOperations([{ id: first.id, state: 'succeeded', description: null }]);
    await s.store.finishOperations([{ id: first.id, state: 'failed', description: 'late' }]);
    expect((await s.store.getOperation(first.id))!.state).toBe('succeeded');
    expect((await s.store.openOperationsFor(inst.id)).map((o) => o.id)).toEqual([second.id]);
    const page = await s.store.listOperations('ops', 0, 1);
    expect(page.total).toBe(2);
    expect(page.items.map((o) => o.kind)).toEqual(['disable']);
    // Several at once: only those still in progress change.
    const third = await mk('enable');
    await s.store.finishOperations([
      { id: first.id, state: 'failed', description: 'late' },
      { id: second.id, state: 'failed', description: 'env: broken' },
      { id: third.id, state: 'succeeded', description: null },
    ]);
    expect((await s.store.getOperation(first.id))!.state).toBe('succeeded');
    expect(await s.store.getOperation(second.id)).toMatchObject({ state: 'failed', description: 'env: broken', finishedAt: expect.any(Date) });
    expect((await s.store.getOperation(third.id))!.state).toBe('succeeded');
    expect(await s.store.openOperationsFor(inst.id)).toEqual([]);
    await s.store.finishOperations([]);
  });

  it('operations finished at once from two passes, in opposite orders, all finish (no deadlock)', async () => {
    const inst = await s.store.withModuleLock('both', 'web', (tx) => tx.saveInstance(base('both', 'prod')));
    for (let round = 0; round < 5; round++) {
      const ops = await s.store.withModuleLock('both', 'web', async (tx) => {
        const out = [];
        for (let i = 0; i < 30; i++)
          out.push(
            await tx.createOperation({
              kind: 'enable',
              app: 'both',
              module: 'web',
              protocol: 'rest',
              actor: 't',
              originatingIdentity: null,
              request: {},
              instances: { [inst.id]: 1 },
              state: 'in progress',
              description: null,
            }),
          );
        return out;
      });
      const verdicts = ops.map((o) => ({ id: o.id, state: 'succeeded' as const, description: null }));
      await Promise.all([s.store.finishOperations(verdicts), s.store.finishOperations([...verdicts].reverse())]);
      expect(await s.store.openOperationsFor(inst.id)).toEqual([]);
    }
  });

  it('instances by ids: those that exist', async () => {
    const [a, b] = await s.store.withModuleLock('ids', 'web', async (tx) => [
      await tx.saveInstance(base('ids', 'prod')),
      await tx.saveInstance(base('ids', 'stag')),
    ]);
    const got = await s.store.getInstances([b.id, a.id, '00000000-0000-4000-8000-000000000000']);
    expect(got.map((i) => i.id).sort()).toEqual([a.id, b.id].sort());
    expect(got.find((i) => i.id === a.id)).toEqual(await s.store.getInstance(a.id));
    expect(await s.store.getInstances([])).toEqual([]);
  });

  it("a protocol's latest operation for its own instance id, not of a binding, also after the environment moved to another id", async () => {
    const inst = await s.store.withModuleLock('moved', 'web', (tx) => tx.saveInstance({ ...base('moved', 'prod'), origin: 'osb', externalId: 'old-id' }));
    const op = (kind: string, request: Record<string, unknown>, protocol: 'osb' | 'bkpaas' = 'osb') =>
      s.store.withModuleLock('moved', 'web', async (tx) => {
        // Each once the clock has moved on, so "latest" has one answer.
        const t = Date.now();
        while (Date.now() === t) await new Promise((r) => setImmediate(r));
        return tx.createOperation({
          kind,
          app: 'moved',
          module: 'web',
          protocol,
          actor: 't',
          originatingIdentity: null,
          request,
          instances: { [inst.id]: 1 },
          state: 'succeeded',
          description: null,
        });
      });
    await op('provision', { externalId: 'old-id' });
    const deprovision = await op('deprovision', { externalId: 'old-id' });
    await op('bind', { externalId: 'old-id', bindingId: 'b1' });
    await op('provision', { externalId: 'old-id' }, 'bkpaas');
    await s.store.updateInstance(inst.id, { externalId: 'new-id' });
    const newer = await op('provision', { externalId: 'new-id' });
    expect((await s.store.latestOperationByExternalId('osb', 'old-id'))?.id).toBe(deprovision.id);
    expect((await s.store.latestOperationByExternalId('osb', 'new-id'))?.id).toBe(newer.id);
    expect(await s.store.latestOperationByExternalId('osb', 'never')).toBeNull();
  });

  it('conditions and the member backoff: empty for a new instance, stored and read back as written', async () => {
    const inst = await s.store.withModuleLock('cond', 'web', (tx) => tx.saveInstance(base('cond', 'prod')));
    expect((await s.store.getInstance(inst.id))!.conditions).toEqual([]);
    expect((await s.store.getInstance(inst.id))!.membersBackoff).toBeNull();
    const conditions = [
      {
        type: 'ProjectReady' as const,
        status: 'True' as const,
        reason: 'Created',
        message: 'm',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00.000Z',
      },
    ];
    const membersBackoff = { generation: 1, failures: 2, retryAt: '2026-01-01T00:00:20.000Z' };
    await s.store.updateInstance(inst.id, { conditions, membersBackoff });
    const got = (await s.store.getInstance(inst.id))!;
    expect(got.conditions).toEqual(conditions);
    expect(got.membersBackoff).toEqual(membersBackoff);
  });

  it('team members svc-sentry added: per upstream and team, lower case, added and forgotten', async () => {
    expect(await s.store.teamMembersAdded('up', 'team')).toEqual([]);
    await s.store.recordTeamMembers('up', 'team', ['B@x.io', 'a@x.io', 'a@x.io'], []);
    await s.store.recordTeamMembers('up', 'team', ['a@x.io'], []);
    await s.store.recordTeamMembers('other', 'team', ['c@x.io'], []);
    expect(await s.store.teamMembersAdded('up', 'team')).toEqual(['a@x.io', 'b@x.io']);
    await s.store.recordTeamMembers('up', 'team', [], ['b@x.io', 'never@x.io']);
    expect(await s.store.teamMembersAdded('up', 'team')).toEqual(['a@x.io']);
    expect(await s.store.teamMembersAdded('other', 'team')).toEqual(['c@x.io']);
  });

  it("an app's instances across its modules", async () => {
    await s.store.withModuleLock('appwide', 'web', (tx) => tx.saveInstance(base('appwide', 'prod')));
    await s.store.withModuleLock('appwide', 'api', (tx) => tx.saveInstance({ ...base('appwide', 'stag'), module: 'api' }));
    await s.store.withModuleLock('appwide-x', 'web', (tx) => tx.saveInstance(base('appwide-x', 'prod')));
    expect((await s.store.findAppInstances('appwide')).map((i) => `${i.module}/${i.env}`)).toEqual(['api/stag', 'web/prod']);
  });
});

/** What only PostgreSQL can show: a statement that fails there (the fake enforces no unique index). */
describe('InstanceStore on PostgreSQL: the last statements and COMMIT', () => {
  let s: Subject;
  beforeAll(async () => {
    s = await implementations[1][1]();
  }, 120_000);
  afterAll(() => s?.close());

  it('one of the last statements fails: COMMIT, sent with them, rolls back, and nothing is written', async () => {
    await s.store.withModuleLock('first', 'web', (tx) => tx.saveInstance({ ...base('first', 'prod'), origin: 'osb', externalId: 'same-id' }));
    await expect(
      s.store.withModuleLock('second', 'web', async (tx) => {
        const written = Promise.all([
          tx.saveAttachment({ app: 'second', module: 'web', enabled: true, plan: 'default', developers: null, targets: null }),
          tx.saveInstance(base('second', 'stag')),
          // The same platform id for another app module: the unique index refuses it.
          tx.saveInstance({ ...base('second', 'prod'), origin: 'osb', externalId: 'same-id' }),
        ]);
        tx.lastStatementsIssued();
        return written;
      }),
    ).rejects.toMatchObject({ code: 'Conflict' });
    expect(await s.store.findAttachment('second', 'web')).toBeNull();
    expect(await s.store.findInstances('second', 'web')).toEqual([]);
    // The connection is usable again: the next transaction on the pool commits.
    await s.store.withModuleLock('second', 'web', (tx) => tx.saveInstance(base('second', 'stag')));
    expect((await s.store.findInstances('second', 'web')).map((i) => i.env)).toEqual(['stag']);
  });
});

/** What only a pool can show: a connection waited for, in svc_sentry_db_connection_wait_seconds. */
describe('InstanceStore on PostgreSQL: pooled connections', () => {
  const waits = async () => {
    const m = await metrics.dbConnectionWaitSeconds.get();
    const at = (name: string, le?: number) => m.values.find((v) => v.metricName === name && (le === undefined || v.labels.le === le))?.value ?? 0;
    return {
      count: at('svc_sentry_db_connection_wait_seconds_count'),
      sum: at('svc_sentry_db_connection_wait_seconds_sum'),
      fast: at('svc_sentry_db_connection_wait_seconds_bucket', 0.1),
    };
  };

  /** A store on a fresh database whose pool has `size` connections (and waits `waitMs` at most for one), for `fn`. */
  const onPool = async (name: string, size: number, fn: (store: TypeormInstanceStore, url: string) => Promise<void>, waitMs?: number) => {
    const db = await freshDatabase(name);
    const ds = new DataSource(dataSourceOptions(db.url, size, waitMs));
    await ds.initialize();
    try {
      await fn(new TypeormInstanceStore(ds, new RecordingQueue()), db.url);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  };

  /** What a call gave within `ms`: its value, its error, or 'still waiting'. */
  const within = async (ms: number, p: Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p.then(
          (v) => v,
          (e: unknown) => e,
        ),
        new Promise((r) => (timer = setTimeout(() => r('still waiting'), ms))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** A transaction of `app`/web that holds its connection until released, then runs `then`; `inside` once it holds it. */
  const holding = <T>(store: TypeormInstanceStore, app: string, then: (t: ModuleTx) => Promise<T>) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inside = new Promise<void>((r) => (started = r));
    const done = store.withModuleLock(app, 'web', async (t) => {
      started();
      await held;
      return then(t);
    });
    return { inside, release, done };
  };

  it(
    'a status read behind a transaction holding the only connection waits, and the wait is observed',
    () =>
      onPool('poolwait', 1, async (store) => {
        const before = await waits();
        const tx = holding(store, 'holder', (t) => t.attachment());
        await tx.inside;
        const read = store.findModule('reader', 'web');
        await new Promise((r) => setTimeout(r, 200));
        tx.release();
        await tx.done;
        expect(await read).toEqual({ attachment: null, instances: [] });
        const after = await waits();
        expect(after.count - before.count).toBe(2);
        // The transaction found the connection free; the read waited about 200 ms for it.
        expect(after.fast - before.fast).toBe(1);
        expect(after.sum - before.sum).toBeGreaterThanOrEqual(0.19);
      }),
    120_000,
  );

  it(
    "a toggle queued behind its app module's transaction holds no connection meanwhile: a status read takes the free one",
    () =>
      onPool('poolqueue', 2, async (store) => {
        const order: string[] = [];
        const first = holding(store, 'same', async (t) => {
          await t.saveAttachment({ app: 'same', module: 'web', enabled: true, plan: 'default', developers: null, targets: null });
          order.push('first');
        });
        const second = first.inside.then(() =>
          store.withModuleLock('same', 'web', async (t) => {
            order.push('second');
            return t.attachment();
          }),
        );
        try {
          await first.inside;
          // Answered while the first transaction still holds its connection: the second did not take the other one.
          const read = await within(5_000, store.findModule('other', 'web'));
          expect(read).toEqual({ attachment: null, instances: [] });
          first.release();
          await first.done;
          // The second ran after the first committed, and read what it wrote.
          expect(await second).toMatchObject({ app: 'same', enabled: true });
          expect(order).toEqual(['first', 'second']);
        } finally {
          first.release();
          await Promise.allSettled([first.done, second]);
        }
      }),
    120_000,
  );

  it(
    "no connection within the pool's wait: the status read fails with DatabaseUnavailable, and the holder still commits",
    () =>
      onPool(
        'poolbound',
        1,
        async (store) => {
          const tx = holding(store, 'holder', (t) =>
            t.saveAttachment({ app: 'holder', module: 'web', enabled: true, plan: 'default', developers: null, targets: null }),
          );
          try {
            await tx.inside;
            const t0 = Date.now();
            // Before the pool had a wait, the read queued until the holder released its connection, however long.
            expect(await within(3_000, store.findModule('reader', 'web'))).toMatchObject({ code: ErrorCode.DatabaseUnavailable, retryable: true });
            expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
          } finally {
            tx.release();
          }
          await tx.done;
          expect(await store.findAttachment('holder', 'web')).toMatchObject({ enabled: true });
        },
        300,
      ),
    120_000,
  );

  it(
    'PostgreSQL refusing connections: toggles, status reads and single statements fail with DatabaseUnavailable, naming no host or port; then work again',
    () =>
      onPool(
        'pooldown',
        2,
        async (store, url) => {
          await store.withModuleLock('down', 'web', (t) =>
            t.saveAttachment({ app: 'down', module: 'web', enabled: true, plan: 'default', developers: null, targets: null }),
          );
          // The pool's connections end (as in a restart of PostgreSQL); new ones are refused.
          const accept = await refuseConnections(url);
          try {
            await new Promise((r) => setTimeout(r, 200));
            const port = new URL(url).port;
            const calls: Array<() => Promise<unknown>> = [
              () => store.findModule('down', 'web'),
              () => store.withModuleLock('down', 'web', (t) => t.attachment()),
              () => store.findAttachment('down', 'web'),
            ];
            for (const call of calls) {
              const e = await within(3_000, call());
              expect(e).toMatchObject({ code: ErrorCode.DatabaseUnavailable, retryable: true });
              expect((e as Error).message).not.toMatch(new RegExp(`127\\.0\\.0\\.1|localhost|${port}`));
            }
          } finally {
            await accept();
          }
          expect(await store.findAttachment('down', 'web')).toMatchObject({ enabled: true });
        },
        1_000,
      ),
    120_000,
  );
});
