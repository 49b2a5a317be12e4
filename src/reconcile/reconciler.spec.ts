import { FakeKubernetesTargets } from '../kubernetes/fake-kubernetes-targets';
import { OperationSettler } from './operation-settler';
import { Reconciler } from './reconciler';
import { SecretSweep } from './secret-sweep';
import { openDsn } from '../instances/sealed-dsn';
import { NoLocks, reconcileFixture } from '../../test/fakes/reconcile-fixture';

function setup(yaml: Record<string, string> = {}) {
  return reconcileFixture({ env: yaml });
}

describe('Reconciler (domain, with in-memory fakes)', () => {
  it('enable: team, one project per environment, one owned key each; DSN sealed; operation succeeded', async () => {
    const { service, caller, drain, store, tracker, box } = setup();
    const res = await service.setMonitoring({ app: 'tnfood', module: 'default', enabled: true }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    expect([...tracker.teams.keys()]).toEqual(['tnfood']);
    expect([...tracker.projects.keys()].sort()).toEqual(['tnfood-default-prod', 'tnfood-default-stag']);
    for (const inst of store.instances) {
      const keys = tracker.projects.get(inst.projectSlug!)!.keys;
      expect(keys.map((k) => k.name)).toEqual(['Default', `svc-sentry:primary:${inst.id}`]);
      expect(openDsn(box, inst.dsnSealed)!.public).toBe(keys[1].dsn.public);
    }
    expect((await store.getOperation(res.operationId!))!.state).toBe('succeeded');
  });

  it('a crash between creating the key and recording it is repaired without a second key', async () => {
    const { service, caller, drain, store, tracker } = setup();
    await service.setMonitoring({ app: 'a1', module: 'm', enabled: true }, caller);
    const saveKey = store.saveKey.bind(store);
    let crashes = 1;
    store.saveKey = async (k) => {
      if (k.upstreamKeyId && crashes-- > 0) throw new Error('process died');
      return saveKey(k);
    };
    const first = await drain();
    expect(first).toContain('retry');
    await service.setMonitoring({ app: 'a1', module: 'm', enabled: true }, caller);
    store.enqueued.push(...store.instances.map((i) => i.id));
    expect(await drain(1)).toEqual(['ready', 'ready']);
    for (const p of tracker.projects.values()) expect(p.keys.filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(1);
  });

  it('a second key with our name (a create in flight when a pass lost its lock) is removed by the next pass', async () => {
    const { service, caller, drain, store, tracker } = setup();
    await service.setMonitoring({ app: 'dup', module: 'm', enabled: true }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    const inst = store.instances[0];
    const project = tracker.projects.get(inst.projectSlug!)!;
    const ours = project.keys.find((k) => k.name === `svc-sentry:primary:${inst.id}`)!;
    // The late create of the other pass lands now.
    project.keys.push({ ...ours, id: 'late-create', dsn: { ...ours.dsn, public: 'f'.repeat(32) } });
    store.enqueued.push(inst.id);
    expect(await drain()).toEqual(['ready']);
    expect(project.keys.some((k) => k.id === 'late-create')).toBe(false);
    expect(project.keys.filter((k) => k.name.startsWith('svc-sentry:')).map((k) => k.id)).toEqual([ours.id]);
  });

  it('retries transient upstream faults, then fails with a reason after the retry budget', async () => {
    const { service, caller, drain, store, tracker } = setup();
    tracker.failNext.set('createProject', 100);
    await service.setMonitoring({ app: 'a2', module: 'm', enabled: true }, caller);
    const ids = [...store.enqueued];
    expect(await drain(0)).toEqual(['retry', 'retry']);
    expect(store.instances.every((i) => i.state === 'provisioning' && /injected 503 \(will retry\)/.test(i.error!))).toBe(true);
    store.enqueued.push(...ids);
    expect(await drain(3)).toEqual(['failed', 'failed']);
    expect(store.instances.every((i) => i.state === 'failed' && /gave up after 4 attempts: createProject: injected 503/.test(i.error!))).toBe(true);
    const op = store.operations[0];
    expect(op.state).toBe('failed');
  });

  it('refuses to adopt a same-named project outside our team, and says what to do', async () => {
    const { service, caller, drain, store, tracker } = setup();
    await tracker.ensureTeam('other');
    await tracker.createProject({ team: 'other', slug: 'a3-m-prod', platform: 'other', defaultRules: true });
    await service.setMonitoring({ app: 'a3', module: 'm', enabled: true }, caller);
    await drain();
    const prod = store.instances.find((i) => i.env === 'prod')!;
    expect(prod.state).toBe('failed');
    expect(prod.error).toMatch(/does not belong to team "a3".*rename or delete it upstream/);
    expect(tracker.projects.get('a3-m-prod')!.keys.map((k) => k.name)).toEqual(['Default']);
  });

  it('disable revokes only our keys and keeps the project (policy keep)', async () => {
    const { service, caller, drain, store, tracker } = setup();
    await service.setMonitoring({ app: 'a4', module: 'm', enabled: true }, caller);
    await drain();
    await service.setMonitoring({ app: 'a4', module: 'm', enabled: false }, caller);
    expect(await drain()).toEqual(['disabled', 'disabled']);
    for (const p of tracker.projects.values()) {
      expect(p.deleted).toBeUndefined();
      expect(p.keys.map((k) => k.name)).toEqual(['Default']);
    }
    expect(store.instances.every((i) => i.dsnSealed === null && i.state === 'disabled')).toBe(true);
  });

  it('a plan with delete policy deletes the projects it created', async () => {
    const { service, drain, tracker, store, caller } = setupWithPlan();
    await service.setMonitoring({ app: 'a5', module: 'm', enabled: true, plan: 'ephemeral' }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    const slugs = ['a5-m-prod', 'a5-m-stag'];
    expect([...tracker.projects.keys()].sort()).toEqual(slugs);
    expect(slugs.map((s) => tracker.projects.get(s)!.deleted ?? false)).toEqual([false, false]);

    await service.setMonitoring({ app: 'a5', module: 'm', enabled: false }, caller);
    expect(await drain()).toEqual(['disabled', 'disabled']);
    // Both projects it created, and only those, are deleted upstream: one delete call each.
    expect([...tracker.projects.keys()].sort()).toEqual(slugs);
    expect(slugs.map((s) => tracker.projects.get(s)!.deleted ?? false)).toEqual([true, true]);
    expect(tracker.calls.filter((c) => c === 'deleteProject')).toHaveLength(2);
    expect(store.instances.map((i) => i.state)).toEqual(['disabled', 'disabled']);
  });

  it('writes the Secret through the Kubernetes port with the plan sample rate, and removes it on disable', async () => {
    const s = setup();
    const targets = new FakeKubernetesTargets(['main'], 'bkapp-{app}-{env}');
    const reconciler = new Reconciler(s.store, s.upstreams, s.catalog, s.box, new NoLocks(), targets, new OperationSettler(s.store), s.log);
    await s.service.setMonitoring({ app: 'a6', module: 'web', enabled: true }, s.caller);
    for (const id of s.store.enqueued.splice(0)) await reconciler.reconcile(id, { retryCount: 0, retryLimit: 3 });
    const prod = s.store.instances.find((i) => i.env === 'prod')!;
    expect(prod.secret).toEqual({ cluster: 'main', namespace: 'bkapp-a6-prod', name: 'svc-sentry-web' });
    const ref = prod.secret!;
    const secret = targets.getSecret(ref)!;
    expect(secret.data).toEqual({ SENTRY_DSN: openDsn(s.box, prod.dsnSealed)!.public, SENTRY_ENVIRONMENT: 'prod', SENTRY_TRACES_SAMPLE_RATE: '0.01' });

    // The resync sweep restores a Secret deleted by hand, without calling the upstream.
    targets.secrets.clear();
    const calls = s.tracker.calls.length;
    const sweep = await new SecretSweep(s.store, s.catalog, s.box, targets).run();
    expect(sweep).toEqual({ checked: 2, changed: 2, failed: [] });
    expect(targets.getSecret(ref)!.data.SENTRY_DSN).toBe(openDsn(s.box, prod.dsnSealed)!.public);
    expect(s.tracker.calls.length).toBe(calls);

    await s.service.setMonitoring({ app: 'a6', module: 'web', enabled: false }, s.caller);
    for (const id of s.store.enqueued.splice(0)) await reconciler.reconcile(id, { retryCount: 0, retryLimit: 3 });
    expect(targets.getSecret(ref)).toBeUndefined();
  });
});

function setupWithPlan() {
  const { writeFileSync, mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'svc-sentry-cfg-')), 'config.yaml');
  writeFileSync(file, 'plans:\n  - name: ephemeral\n    deletePolicy: delete\n');
  return setup({ SVC_SENTRY_CONFIG: file });
}
