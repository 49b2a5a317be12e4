import { ArrayEnabledTargetsSource, EnabledTarget, EnabledTargetsSource, EnabledTargetsView } from './enabled-targets';

const t = (over: Partial<EnabledTarget> = {}): EnabledTarget => ({
  cluster: 'c1',
  namespace: 'ns',
  app: 'a',
  module: 'm',
  env: 'stag',
  secretName: 'svc-sentry-m',
  ...over,
});

describe('EnabledTargetsView', () => {
  it('answers from memory after a refresh, per cluster or across clusters', async () => {
    const src = new ArrayEnabledTargetsSource([t(), t({ cluster: 'c2', namespace: 'ns2' })]);
    const view = new EnabledTargetsView(src);
    expect(view.lookup('ns', 'a', 'm')).toBeUndefined();
    await view.refreshNow();
    expect(view.lookup('ns', 'a', 'm')?.cluster).toBe('c1');
    expect(view.lookup('ns', 'a', 'm', 'c2')).toBeUndefined();
    expect(view.lookup('ns2', 'a', 'm', 'c2')?.cluster).toBe('c2');
    src.targets = [];
    await view.refreshNow();
    expect(view.lookup('ns', 'a', 'm')).toBeUndefined();
    expect(view.size).toBe(0);
  });

  it('keeps the last good view when the source fails', async () => {
    let fail = false;
    const src = new (class extends EnabledTargetsSource {
      async list() {
        if (fail) throw new Error('db down');
        return [t()];
      }
    })();
    const view = new EnabledTargetsView(src);
    await view.refreshNow();
    fail = true;
    await view.refreshNow();
    expect(view.lookup('ns', 'a', 'm')).toBeDefined();
  });

  it('coalesces concurrent refreshes and reloads once more for a call made during a load', async () => {
    let calls = 0;
    let release!: () => void;
    const src = new (class extends EnabledTargetsSource {
      async list() {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return [t({ namespace: `ns${calls}` })];
      }
    })();
    const view = new EnabledTargetsView(src);
    const a = view.refreshNow();
    const b = view.refreshNow();
    const c = view.refreshNow();
    release();
    await Promise.all([a, b, c]);
    expect(calls).toBe(2);
    expect(view.lookup('ns2', 'a', 'm')).toBeDefined();
  });
});
