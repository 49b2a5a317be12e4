import fc from 'fast-check';
import { applyEnvPatch, buildEnvPatch, envPatchKey, MalformedPodError, RELEASE_VAR, SECRET_KEYS } from './env-patch';

const pod = (containers: unknown[], labels: Record<string, string> = {}) => ({ metadata: { labels }, spec: { containers } });
const names = (env: Array<{ name: string }>) => env.map((e) => e.name);

describe('buildEnvPatch', () => {
  it('adds the whole env array to a container without env, as secretKeyRef with optional: true', () => {
    const ops = buildEnvPatch(pod([{ name: 'web', image: 'x' }]), 'svc-sentry-default');
    expect(ops).toEqual([
      {
        op: 'add',
        path: '/spec/containers/0/env',
        value: SECRET_KEYS.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: 'svc-sentry-default', key, optional: true } } })),
      },
    ]);
  });

  it('appends with /env/- to an existing env and leaves variables the container already sets alone', () => {
    const p = pod([
      {
        name: 'web',
        env: [
          { name: 'SENTRY_DSN', value: 'https://mine@example/1' },
          { name: 'A', value: 'b' },
        ],
      },
    ]);
    const ops = buildEnvPatch(p, 's');
    expect(ops.map((o) => o.path)).toEqual(['/spec/containers/0/env/-', '/spec/containers/0/env/-']);
    expect(ops.map((o) => (o.value as { name: string }).name)).toEqual(['SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE']);
    const patched = applyEnvPatch(p, ops);
    expect(patched.spec.containers[0]).toMatchObject({
      env: [{ name: 'SENTRY_DSN', value: 'https://mine@example/1' }, { name: 'A' }, { name: 'SENTRY_ENVIRONMENT' }, { name: 'SENTRY_TRACES_SAMPLE_RATE' }],
    });
  });

  it('patches every container, including an empty env array', () => {
    const p = pod([{ name: 'a' }, { name: 'b', env: [] }, { name: 'c', env: [{ name: 'X', value: '1' }] }]);
    const patched = applyEnvPatch(p, buildEnvPatch(p, 's')) as any;
    for (const c of patched.spec.containers) expect(names(c.env)).toEqual(expect.arrayContaining([...SECRET_KEYS]));
    expect(names(patched.spec.containers[2].env)[0]).toBe('X');
  });

  it('adds SENTRY_RELEASE from the version label through the downward API only when the Pod carries it', () => {
    const withLabel = pod([{ name: 'web' }], { 'app.kubernetes.io/version': '1.2.3' });
    const [op] = buildEnvPatch(withLabel, 's', 'app.kubernetes.io/version');
    expect((op.value as any[]).find((e) => e.name === RELEASE_VAR)).toEqual({
      name: RELEASE_VAR,
      valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app.kubernetes.io/version']" } },
    });
    const [op2] = buildEnvPatch(pod([{ name: 'web' }]), 's', 'app.kubernetes.io/version');
    expect(names(op2.value as any[])).not.toContain(RELEASE_VAR);
  });

  it('is idempotent: a second pass over the patched Pod yields no operations', () => {
    const p = pod([{ name: 'a' }, { name: 'b', env: [{ name: 'SENTRY_RELEASE', value: 'mine' }] }], { v: '7' });
    const once = applyEnvPatch(p, buildEnvPatch(p, 's', 'v'));
    expect(buildEnvPatch(once, 's', 'v')).toEqual([]);
    expect((once as any).spec.containers[1].env.filter((e: any) => e.name === 'SENTRY_RELEASE')).toEqual([{ name: 'SENTRY_RELEASE', value: 'mine' }]);
  });

  it('rejects shapes that are not a Pod', () => {
    expect(() => buildEnvPatch({ spec: {} } as any, 's')).toThrow(MalformedPodError);
    expect(() => buildEnvPatch(pod([null]), 's')).toThrow(MalformedPodError);
    expect(() => buildEnvPatch(pod([{ env: 'x' }]), 's')).toThrow(MalformedPodError);
  });
});

describe('envPatchKey (patch cache key)', () => {
  const names = fc.constantFrom('SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE', 'SENTRY_RELEASE', 'PORT', 'X');
  const container = fc.record({
    name: fc.constantFrom('a', 'b'),
    env: fc.option(fc.array(fc.record({ name: names, value: fc.constantFrom('1', '2') }), { maxLength: 5 }), { nil: undefined }),
  });
  const podArb = fc.record({
    metadata: fc.record({ labels: fc.dictionary(fc.constantFrom('v', 'w'), fc.constantFrom('', '1.0')) }),
    spec: fc.record({ containers: fc.array(container, { minLength: 1, maxLength: 3 }) }),
  });

  it('equal keys always mean equal patches, so a cached patch is the patch', () => {
    fc.assert(
      fc.property(podArb, podArb, fc.constantFrom('s1', 's2'), fc.constantFrom('s1', 's2'), (p1, p2, s1, s2) => {
        if (envPatchKey(p1, s1, 'v') === envPatchKey(p2, s2, 'v')) {
          expect(buildEnvPatch(p1, s1, 'v')).toEqual(buildEnvPatch(p2, s2, 'v'));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('differs when the secret, the release label or an env name differs, and is undefined for odd shapes', () => {
    const base = pod([{ name: 'a', env: [{ name: 'X' }] }], { v: '1' });
    const k = envPatchKey(base, 's', 'v');
    expect(envPatchKey(base, 't', 'v')).not.toBe(k);
    expect(envPatchKey(pod([{ name: 'a', env: [{ name: 'X' }] }]), 's', 'v')).not.toBe(k);
    expect(envPatchKey(pod([{ name: 'a', env: [{ name: 'SENTRY_DSN' }] }], { v: '1' }), 's', 'v')).not.toBe(k);
    expect(envPatchKey(pod([{ name: 'b', env: [{ name: 'Y' }] }], { v: '2' }), 's', 'v')).toBe(k);
    expect(envPatchKey({ spec: {} }, 's')).toBeUndefined();
    expect(envPatchKey(pod([{ env: 'x' }]), 's')).toBeUndefined();
  });
});
