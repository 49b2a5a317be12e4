import { ArrayEnabledTargetsSource, EnabledTarget, EnabledTargetsSink, EnabledTargetsSource, EnabledTargetsView } from './enabled-targets';

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
    await view.stop();
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

/** An incremental source on an array: rows by id, a sink the test drives, and hooks to hold or fail reads. */
class FeedSource extends EnabledTargetsSource {
  rows = new Map<string, EnabledTarget>();
  sink!: EnabledTargetsSink;
  lists = 0;
  reads: string[][] = [];
  hold?: Promise<void>;
  failReads = 0;

  async list() {
    this.lists++;
    const snapshot = [...this.rows.values()];
    await this.hold;
    return snapshot;
  }

  override async read(ids: string[]) {
    this.reads.push(ids);
    if (this.failReads > 0) {
      this.failReads--;
      throw new Error('read failed');
    }
    return ids.flatMap((id) => (this.rows.has(id) ? [this.rows.get(id)!] : []));
  }

  override async watch(sink: EnabledTargetsSink) {
    this.sink = sink;
    sink.reset();
  }

  override async unwatch() {}
}

const settle = async (view: EnabledTargetsView, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('EnabledTargetsView with a change feed', () => {
  it('loads once at start, then re-reads only the ids the feed names (added, moved, removed)', async () => {
    const src = new FeedSource();
    src.rows.set('i1', t({ id: 'i1' }));
    const view = new EnabledTargetsView(src, { retryMs: 5 });
    await view.start();
    expect(view.lookup('ns', 'a', 'm')?.id).toBe('i1');
    expect(view.stale).toBeUndefined();

    src.rows.set('i2', t({ id: 'i2', namespace: 'ns2', module: 'm2' }));
    src.rows.set('i1', t({ id: 'i1', namespace: 'moved' }));
    src.sink.changed(['i2', 'i1']);
    await settle(view, () => !!view.lookup('ns2', 'a', 'm2') && !!view.lookup('moved', 'a', 'm'));
    expect(view.lookup('ns', 'a', 'm')).toBeUndefined();

    src.rows.delete('i2');
    src.sink.changed(['i2']);
    await settle(view, () => !view.lookup('ns2', 'a', 'm2'));
    expect(src.lists).toBe(1);
    expect(view.reloads).toBe(1);
    expect(view.size).toBe(1);
    await view.stop();
  });

  it('two environments answering one (namespace, app, module): removing one leaves the other', async () => {
    const src = new FeedSource();
    src.rows.set('s', t({ id: 's', env: 'stag' }));
    src.rows.set('p', t({ id: 'p', env: 'prod' }));
    const view = new EnabledTargetsView(src);
    await view.start();
    src.rows.delete('s');
    src.sink.changed(['s']);
    await settle(view, () => view.size === 1);
    expect(view.lookup('ns', 'a', 'm')?.env).toBe('prod');
    await view.stop();
  });

  it('applies changes notified during a full load after it; a lost feed makes it stale until the reload after reconnect', async () => {
    const src = new FeedSource();
    const view = new EnabledTargetsView(src, { retryMs: 5 });
    await view.start();
    src.sink.lost('connection reset');
    expect(view.stale?.reason).toMatch(/connection reset/);

    let release!: () => void;
    src.hold = new Promise<void>((r) => (release = r));
    src.sink.reset();
    // During the load (whose snapshot predates it), a row appears and is notified.
    src.rows.set('late', t({ id: 'late', namespace: 'late' }));
    src.sink.changed(['late']);
    release();
    await settle(view, () => !!view.lookup('late', 'a', 'm'));
    expect(view.reloads).toBe(2);
    expect(view.stale).toBeUndefined();
    await view.stop();
  });

  it('a failed re-read keeps the last view and is retried', async () => {
    const src = new FeedSource();
    const view = new EnabledTargetsView(src, { retryMs: 5 });
    await view.start();
    src.failReads = 2;
    src.rows.set('x', t({ id: 'x', namespace: 'x' }));
    src.sink.changed(['x']);
    await settle(view, () => !!view.lookup('x', 'a', 'm'));
    expect(src.reads.filter((r) => r.includes('x')).length).toBe(3);
    expect(view.reloads).toBe(1);
    await view.stop();
  });
});
