import { reconcileFixture } from '../../test/fakes/reconcile-fixture';
import { membersRetryDelay } from './team-members';

/** Conditions and the member-sync backoff, on the in-memory fakes with a controlled clock. */
describe('Reconciler: conditions and team members (domain, in-memory fakes)', () => {
  function setup() {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const f = reconcileFixture({ now: () => new Date(now) });
    return { ...f, advance: (s: number) => void (now += s * 1000), clock: () => now };
  }
  const conditions = (i: { conditions: Array<{ type: string; status: string; reason: string }> }) =>
    Object.fromEntries(i.conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));

  it('the backoff doubles from 10 s and stops at 1 h', () => {
    expect([1, 2, 3, 4, 9, 10, 50].map(membersRetryDelay)).toEqual([10, 20, 40, 80, 2560, 3600, 3600]);
  });

  it('a failing member sync: ready with the DSN, MembersSynced False with the next try; backs off per instance; a success resets it', async () => {
    const { service, caller, store, tracker, reconciler, advance, clock } = setup();
    tracker.failNext.set('syncTeamMembers', 3);
    await service.setMonitoring({ app: 'shop', module: 'web', enabled: true, developers: ['dev@x.io'] }, caller);
    const id = store.instances.find((i) => i.env === 'prod')!.id;
    store.enqueued = [];
    const first = await reconciler.run(id);
    expect(first).toEqual({ kind: 'requeue', afterSeconds: 10, reason: 'members' });
    let inst = (await store.getInstance(id))!;
    expect(inst.state).toBe('ready');
    expect(inst.dsnSealed).not.toBeNull();
    expect(conditions(inst)).toEqual({
      ProjectReady: 'True/Created',
      KeyReady: 'True/Active',
      SecretReady: 'True/NoCluster',
      MembersSynced: 'False/UpstreamUnavailable',
    });
    const retryAt = new Date(clock() + 10_000).toISOString();
    expect(inst.conditions.find((c) => c.type === 'MembersSynced')!.message).toContain(`next try at ${retryAt}`);
    expect(inst.membersBackoff).toEqual({ generation: 1, failures: 1, retryAt });

    // Asked again before the time (a resync): no call upstream, the remaining wait.
    const calls = tracker.calls.filter((c) => c === 'syncTeamMembers').length;
    advance(4);
    expect(await reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 6, reason: 'members' });
    expect(tracker.calls.filter((c) => c === 'syncTeamMembers').length).toBe(calls);
    // Due: fails again, the wait doubles.
    advance(6);
    expect(await reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 20, reason: 'members' });
    advance(20);
    expect(await reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 40, reason: 'members' });
    inst = (await store.getInstance(id))!;
    expect(inst.membersBackoff!.failures).toBe(3);
    const falseSince = inst.conditions.find((c) => c.type === 'MembersSynced')!.lastTransitionTime;
    expect(falseSince).toBe(new Date(clock() - 30_000).toISOString());

    // Recovered: synced, backoff cleared, the condition True.
    advance(40);
    expect(await reconciler.run(id)).toEqual({ kind: 'done', state: 'ready' });
    inst = (await store.getInstance(id))!;
    expect(inst.membersBackoff).toBeNull();
    expect(inst.error).toBeNull();
    expect(conditions(inst).MembersSynced).toBe('True/Synced');
    expect(tracker.teams.get('shop')).toEqual(['dev@x.io']);
  });

  it('a new generation starts the backoff over', async () => {
    const { service, caller, store, tracker, reconciler, advance } = setup();
    tracker.failNext.set('syncTeamMembers', 10);
    await service.setMonitoring({ app: 'gen', module: 'web', enabled: true, developers: ['dev@x.io'] }, caller);
    const id = store.instances.find((i) => i.env === 'prod')!.id;
    await reconciler.run(id);
    advance(10);
    expect(await reconciler.run(id)).toMatchObject({ afterSeconds: 20 });
    await service.setMonitoring({ app: 'gen', module: 'web', enabled: true, developers: ['dev@x.io', 'two@x.io'] }, caller);
    expect(await reconciler.run(id)).toEqual({ kind: 'requeue', afterSeconds: 10, reason: 'members' });
    const inst = (await store.getInstance(id))!;
    expect(inst.membersBackoff).toMatchObject({ generation: 2, failures: 1 });
    expect(inst.conditions.every((c) => c.observedGeneration === 2)).toBe(true);
  });

  it('a failing project step: ProjectReady False with the error code, the later ones waiting; lastTransitionTime moves only with the status', async () => {
    const { service, caller, store, tracker, reconciler, advance } = setup();
    tracker.failNext.set('ensureTeam', 1);
    await service.setMonitoring({ app: 'down', module: 'web', enabled: true }, caller);
    const id = store.instances.find((i) => i.env === 'stag')!.id;
    expect(await reconciler.run(id)).toMatchObject({ kind: 'error' });
    let inst = (await store.getInstance(id))!;
    expect(conditions(inst)).toEqual({
      ProjectReady: 'False/UpstreamUnavailable',
      KeyReady: 'Unknown/Waiting',
      SecretReady: 'Unknown/Waiting',
      MembersSynced: 'Unknown/Waiting',
    });
    const t0 = inst.conditions[0].lastTransitionTime;
    advance(5);
    expect(await reconciler.run(id)).toEqual({ kind: 'done', state: 'ready' });
    inst = (await store.getInstance(id))!;
    expect(conditions(inst)).toEqual({
      ProjectReady: 'True/Created',
      KeyReady: 'True/Active',
      SecretReady: 'True/NoCluster',
      MembersSynced: 'True/NoDevelopers',
    });
    expect(inst.conditions[0].lastTransitionTime).not.toBe(t0);
    const times = inst.conditions.map((c) => c.lastTransitionTime);
    advance(5);
    expect(await reconciler.run(id)).toEqual({ kind: 'done', state: 'ready' });
    inst = (await store.getInstance(id))!;
    expect(inst.conditions.map((c) => c.lastTransitionTime)).toEqual(times);
    expect(conditions(inst).ProjectReady).toBe('True/Exists');
    // Disabled: nothing to report, conditions cleared.
    await service.setMonitoring({ app: 'down', module: 'web', enabled: false }, caller);
    expect(await reconciler.run(id)).toEqual({ kind: 'done', state: 'disabled' });
    expect((await store.getInstance(id))!.conditions).toEqual([]);
  });

  it('giving up: the failed step\'s condition carries the reason it gave up with, not "will retry"', async () => {
    const { service, caller, store, tracker, reconciler } = setup();
    tracker.failNext.set('ensureTeam', 10);
    await service.setMonitoring({ app: 'gone', module: 'web', enabled: true }, caller);
    const id = store.instances.find((i) => i.env === 'stag')!.id;
    expect(await reconciler.reconcile(id, { retryCount: 0, retryLimit: 1 })).toBe('retry');
    expect((await store.getInstance(id))!.conditions[0].message).toMatch(/will retry/);
    expect(await reconciler.reconcile(id, { retryCount: 1, retryLimit: 1 })).toBe('failed');
    const inst = (await store.getInstance(id))!;
    expect(inst.state).toBe('failed');
    expect(inst.conditions[0]).toMatchObject({ type: 'ProjectReady', status: 'False', reason: 'UpstreamUnavailable', message: inst.error });
    expect(inst.error).toMatch(/^gave up after 2 attempts: /);
  });

  it('members svc-sentry owns: removes only what it added and no environment of the team wants; a hand-added member stays', async () => {
    const { service, caller, store, tracker, drain } = setup();
    await service.setMonitoring({ app: 'own', module: 'web', enabled: true, developers: ['a@x.io'] }, caller);
    await drain();
    tracker.teams.get('own')!.push('hand@x.io');
    await service.setMonitoring({ app: 'own', module: 'api', enabled: true, developers: ['b@x.io', 'hand@x.io'] }, caller);
    await drain();
    expect([...tracker.teams.get('own')!].sort()).toEqual(['a@x.io', 'b@x.io', 'hand@x.io']);
    expect(await store.teamMembersAdded('fake', 'own')).toEqual(['a@x.io', 'b@x.io']);
    // api drops b and hand: b (ours) goes, hand (not ours) stays; a (web wants it) stays.
    await service.setMonitoring({ app: 'own', module: 'api', enabled: true, developers: ['a@x.io'] }, caller);
    await drain();
    expect([...tracker.teams.get('own')!].sort()).toEqual(['a@x.io', 'hand@x.io']);
    expect(await store.teamMembersAdded('fake', 'own')).toEqual(['a@x.io']);
    // An empty list changes nothing.
    await service.setMonitoring({ app: 'own', module: 'api', enabled: true, developers: [] }, caller);
    await drain();
    expect([...tracker.teams.get('own')!].sort()).toEqual(['a@x.io', 'hand@x.io']);
  });
});
