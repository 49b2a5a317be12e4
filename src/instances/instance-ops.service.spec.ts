import { DomainError, ErrorCode } from '../common/domain-error';
import { FakeErrorTracker } from '../../test/fakes/fake-error-tracker';
import { InstanceOpsService, ProvisionSpec } from './instance-ops.service';
import { reconcileFixture } from '../../test/fakes/reconcile-fixture';

function setup() {
  const f = reconcileFixture();
  const ops = new InstanceOpsService(f.store, f.catalog, f.box);
  return { tracker: f.tracker, store: f.store, ops, rest: f.service, drain: () => f.drain() };
}

const caller = { protocol: 'osb' as const, actor: 'test' };
const spec = (over: Partial<ProvisionSpec> = {}): ProvisionSpec => ({
  origin: 'osb',
  externalId: 'i-1',
  app: 'shop',
  module: 'default',
  env: 'prod',
  plan: 'default',
  parameters: { p: 1, q: { a: 1, b: 2 } },
  strictParameters: true,
  ...over,
});
const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e) => (e instanceof DomainError ? e.code : String(e)),
  );
const ourKeys = (t: FakeErrorTracker, slug: string) => t.projects.get(slug)!.keys.filter((k) => k.name.startsWith('svc-sentry:'));

describe('InstanceOpsService (platform protocols on the shared domain)', () => {
  it('provision is idempotent by external id: created, in progress, exists; key order does not matter', async () => {
    const { ops, drain } = setup();
    expect((await ops.provision(spec(), caller)).outcome).toBe('created');
    expect((await ops.provision(spec({ parameters: { q: { b: 2, a: 1 }, p: 1 } }), caller)).outcome).toBe('in-progress');
    await drain();
    const again = await ops.provision(spec(), caller);
    expect(again.outcome).toBe('exists');
    expect(again.instance.state).toBe('ready');
  });

  it('refuses another plan (PlanConflict), other parameters (Conflict) and a second id on the same target', async () => {
    const { ops, drain, store } = setup();
    await ops.provision(spec(), caller);
    await drain();
    const before = JSON.stringify(store.instances);
    expect(await code(ops.provision(spec({ plan: 'legacy' }), caller))).toBe(ErrorCode.PlanConflict);
    expect(await code(ops.provision(spec({ parameters: { p: 2 } }), caller))).toBe(ErrorCode.Conflict);
    expect(await code(ops.provision(spec({ externalId: 'i-2' }), caller))).toBe(ErrorCode.Conflict);
    expect(await code(ops.provision(spec({ externalId: 'i-2', origin: 'bkpaas' }), caller))).toBe(ErrorCode.Conflict);
    expect(await code(ops.provision(spec({ externalId: 'i-3', env: 'qa' }), caller))).toBe(ErrorCode.InvalidInput);
    expect(JSON.stringify(store.instances)).toBe(before);
  });

  it('bindings: intent row first, converged to a named key; rotation keeps both; unbind revokes only that key', async () => {
    const { ops, drain, store, tracker } = setup();
    await ops.provision(spec(), caller);
    await drain();
    const b1 = await ops.bind('osb', 'i-1', 'b1', { x: 1 }, caller);
    expect(b1.key).toMatchObject({ state: 'pending', upstreamKeyId: null, name: 'svc-sentry:binding:b1' });
    await drain();
    expect(
      ourKeys(tracker, 'shop-default-prod')
        .map((k) => k.name)
        .sort(),
    ).toEqual([`svc-sentry:binding:b1`, `svc-sentry:primary:${b1.instance.id}`]);
    expect((await store.getOperation(b1.operation!.id))!.state).toBe('succeeded');
    expect((await ops.bind('osb', 'i-1', 'b1', { x: 1 }, caller)).outcome).toBe('exists');
    expect(await code(ops.bind('osb', 'i-1', 'b1', { x: 2 }, caller))).toBe(ErrorCode.Conflict);
    expect(await code(ops.bind('osb', 'i-1', 'b2', {}, caller, 'nope'))).toBe(ErrorCode.InvalidInput);

    await ops.bind('osb', 'i-1', 'b2', {}, caller, 'b1');
    await drain();
    const keys = await ops.keys(b1.instance.id);
    const dsn1 = ops.dsnOf(b1.instance, keys.find((k) => k.bindingId === 'b1')!.dsnSealed);
    const dsn2 = ops.dsnOf(b1.instance, keys.find((k) => k.bindingId === 'b2')!.dsnSealed);
    expect(dsn1).not.toBe(dsn2);
    expect(ourKeys(tracker, 'shop-default-prod')).toHaveLength(3);

    await ops.unbind('osb', 'i-1', 'b1', caller);
    await drain();
    expect(
      ourKeys(tracker, 'shop-default-prod')
        .map((k) => k.name)
        .sort(),
    ).toEqual([`svc-sentry:binding:b2`, `svc-sentry:primary:${b1.instance.id}`]);
    expect(await code(ops.unbind('osb', 'i-1', 'b1', caller))).toBe(ErrorCode.NotFound);
  });

  it('a crash between creating a binding key and recording it is repaired without a second key', async () => {
    const { ops, drain, store, tracker } = setup();
    await ops.provision(spec(), caller);
    await drain();
    await ops.bind('osb', 'i-1', 'b1', {}, caller);
    const saveKey = store.saveKey.bind(store);
    let crashes = 1;
    store.saveKey = async (k) => {
      if (k.bindingId === 'b1' && k.upstreamKeyId && crashes-- > 0) throw new Error('process died');
      return saveKey(k);
    };
    const first = await drain();
    expect(first).toEqual(['retry']);
    store.enqueued.push(store.instances[0].id);
    await drain();
    expect(ourKeys(tracker, 'shop-default-prod').filter((k) => k.name === 'svc-sentry:binding:b1')).toHaveLength(1);
    expect((await ops.keys(store.instances[0].id)).find((k) => k.bindingId === 'b1')!.state).toBe('active');
  });

  it('deprovision leaves a tombstone with its operation; a second deprovision is gone; the id can be reused', async () => {
    const { ops, drain, store, tracker } = setup();
    await ops.provision(spec(), caller);
    await drain();
    await ops.bind('osb', 'i-1', 'b1', {}, caller);
    await drain();
    const d = await ops.deprovision('osb', 'i-1', caller);
    expect(d.outcome).toBe('created');
    expect((await ops.deprovision('osb', 'i-1', caller)).outcome).toBe('in-progress');
    await drain();
    expect(ourKeys(tracker, 'shop-default-prod')).toHaveLength(0);
    const tomb = (await ops.byExternalId('osb', 'i-1'))!;
    expect(tomb).toMatchObject({ desired: 'absent', state: 'disabled' });
    expect((await ops.latestOperation(tomb.id, null))!.state).toBe('succeeded');
    const gone = await ops.deprovision('osb', 'i-1', caller).catch((e) => e);
    expect(gone).toMatchObject({ code: ErrorCode.InstanceNotFound, details: { gone: true } });
    expect((await ops.provision(spec(), caller)).outcome).toBe('created');
    expect(store.instances).toHaveLength(1);
  });

  it('REST sees and disables an instance a protocol created', async () => {
    const { ops, rest, drain, tracker } = setup();
    await ops.provision(spec(), { protocol: 'bkpaas', actor: 'bk' });
    await drain();
    expect((await rest.status('shop', 'default')).environments.prod.state).toBe('ready');
    const off = await rest.setMonitoring({ app: 'shop', module: 'default', enabled: false }, { protocol: 'rest', actor: 'r' });
    expect(off.changed).toBe(true);
    await drain();
    expect((await rest.status('shop', 'default')).environments.prod.state).toBe('disabled');
    expect(ourKeys(tracker, 'shop-default-prod')).toHaveLength(0);
  });

  it('awaitSettled returns at the deadline when nothing converges', async () => {
    const { ops } = setup();
    const r = await ops.provision(spec(), caller);
    const t0 = Date.now();
    const s = await ops.awaitSettled(r.instance.id, r.instance.generation, 150, 20);
    expect(s.done).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});
