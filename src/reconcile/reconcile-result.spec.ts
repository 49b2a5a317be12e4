import { LockLost } from './pg-instance-locks';
import { InstanceLocks } from './reconcile-queue';
import { reconcileFixture } from '../../test/fakes/reconcile-fixture';

/** Locks whose behaviour a test chooses: free, held elsewhere, or lost in the middle of the pass. */
class ScriptedLocks extends InstanceLocks {
  mode: 'free' | 'busy' = 'free';
  lease?: AbortController;
  async withLock<T>(_id: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T | 'busy'> {
    if (this.mode === 'busy') return 'busy';
    this.lease = new AbortController();
    return fn(this.lease.signal);
  }
}

function setup() {
  const locks = new ScriptedLocks();
  return { ...reconcileFixture({ locks }), locks };
}

describe('Reconciler.run: done | requeue | error, the worker decides what follows', () => {
  it('a lock held elsewhere is a requeue, and nothing is recorded', async () => {
    const s = setup();
    await s.service.setMonitoring({ app: 'b1', module: 'm', enabled: true }, s.caller);
    s.locks.mode = 'busy';
    const [id] = s.store.enqueued;
    expect(await s.reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 1, reason: 'busy' });
    expect((await s.store.getInstance(id))!.state).toBe('pending');
  });

  it('a lock lost mid-pass stops the pass before its next step and is a requeue, never ready', async () => {
    const s = setup();
    await s.service.setMonitoring({ app: 'b2', module: 'm', enabled: true }, s.caller);
    const [id] = s.store.enqueued;
    // The lock's connection dies while the project is being created upstream.
    const createProject = s.tracker.createProject.bind(s.tracker);
    let lose = true;
    s.tracker.createProject = async (p) => {
      if (lose) s.locks.lease!.abort(new LockLost(id, new Error('terminating connection due to administrator command')));
      lose = false;
      return createProject(p);
    };
    expect(await s.reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 1, reason: 'lock lost' });
    const inst = (await s.store.getInstance(id))!;
    expect(inst.state).not.toBe('ready');
    expect(inst.observedGeneration).toBe(0);
    expect(await s.store.listKeys(id)).toEqual([]);
    expect(await s.reconciler.run(id)).toEqual({ kind: 'done', state: 'ready' });
  });

  it('desired state changing during every pass ends in a requeue, not done', async () => {
    const s = setup();
    await s.service.setMonitoring({ app: 'b3', module: 'm', enabled: true }, s.caller);
    const [id] = s.store.enqueued;
    const settle = s.store.openOperationsFor.bind(s.store);
    // Each pass ends with the settler reading operations: bump the generation there, as a concurrent request would.
    s.store.openOperationsFor = async (i) => {
      const inst = s.store.instances.find((x) => x.id === i)!;
      inst.generation += 1;
      return settle(i);
    };
    expect(await s.reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 0, reason: 'changed' });
  });

  it('a retryable error is returned for the worker; giveUp records failed only for the generation that failed', async () => {
    const s = setup();
    s.tracker.failNext.set('createProject', 100);
    await s.service.setMonitoring({ app: 'b4', module: 'm', enabled: true }, s.caller);
    const [id] = s.store.enqueued;
    const r = await s.reconciler.run(id);
    if (r.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(r)}`);
    expect(r.error.retryable).toBe(true);
    expect((await s.store.getInstance(id))!.state).not.toBe('failed');
    s.store.instances.find((x) => x.id === id)!.generation += 1;
    expect(await s.reconciler.giveUp(id, r, 9)).toBe('superseded');
    expect((await s.store.getInstance(id))!.state).not.toBe('failed');
    s.store.instances.find((x) => x.id === id)!.generation -= 1;
    expect(await s.reconciler.giveUp(id, r, 9)).toBe('failed');
    expect((await s.store.getInstance(id))!.error).toMatch(/^gave up after 9 attempts: createProject: injected 503/);
  });
});
