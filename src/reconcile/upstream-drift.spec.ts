import { reconcileFixture } from '../../test/fakes/reconcile-fixture';
import { UpstreamDrift } from './upstream-drift';

/** UpstreamDrift on the in-memory fakes: what it reads upstream, what it enqueues, what it records. */
describe('UpstreamDrift', () => {
  const setup = async (modules: number) => {
    const f = reconcileFixture({ env: { SVC_SENTRY_UPSTREAM_RATE_LIMIT: '10' } });
    for (let i = 0; i < modules; i++) await f.service.setMonitoring({ app: 'shop', module: `m${i}`, enabled: true }, f.caller);
    await f.drain();
    f.tracker.calls.length = 0;
    const drift = new UpstreamDrift(f.store, f.upstreams, f.config.upstreams, f.catalog, f.box);
    const enqueued: string[] = [];
    // Budget: 10/s × 0.5 × 2 s × 0.8 = 8 calls: one list, then 7 key lists.
    const run = () => drift.run({ share: 0.5, periodSeconds: 2, enqueue: async (ids) => void enqueued.push(...ids) });
    return { ...f, run, enqueued };
  };

  it('without drift: one project list and a budgeted slice of key lists, least recently verified first; nothing enqueued', async () => {
    const f = await setup(6); // 12 ready instances
    const [first] = await f.run();
    expect(f.tracker.calls.filter((c) => c === 'listProjects')).toHaveLength(1);
    expect(f.tracker.calls.filter((c) => c === 'listKeys')).toHaveLength(7);
    expect(f.tracker.calls.filter((c) => c !== 'listProjects' && c !== 'listKeys')).toEqual([]);
    expect(first).toMatchObject({ ready: 12, projectDrift: 0, keyChecks: 7, keyDrift: 0, budget: 8, keyCheckCycles: 2 });
    expect(f.store.keysChecked.size).toBe(7);
    await f.run();
    // The second cycle took the 5 never verified first (then 2 of the oldest): all 12 are verified.
    expect(f.store.keysChecked.size).toBe(12);
    expect(f.enqueued).toEqual([]);
  });

  it('enqueues an instance whose project is gone, or has another id, or whose key is gone', async () => {
    const f = await setup(2);
    const [a, b, c] = f.store.instances;
    f.tracker.projects.get(a.projectSlug!)!.deleted = true;
    f.tracker.projects.get(b.projectSlug!)!.id = 'another';
    const keyId = f.store.keys.find((k) => k.instanceId === c.id && k.purpose === 'primary')!.upstreamKeyId;
    const project = f.tracker.projects.get(c.projectSlug!)!;
    project.keys = project.keys.filter((k) => k.id !== keyId);
    const [s] = await f.run();
    // Key lists run beside the project list: all 4 are checked (the budget allows 7).
    expect(s).toMatchObject({ projectDrift: 2, keyDrift: 1, keyChecks: 4 });
    expect(f.enqueued.sort()).toEqual([a.id, b.id, c.id].sort());
    expect(f.store.keysChecked.has(c.id)).toBe(false);
  });

  it('concludes nothing about projects when the project list fails (upstream down)', async () => {
    const f = await setup(2);
    f.tracker.failNext.set('listProjects', 1);
    const [s] = await f.run();
    expect(s.error).toMatch(/listing projects failed/);
    expect(s.projectDrift).toBe(0);
    expect(f.enqueued).toEqual([]);
  });
});
