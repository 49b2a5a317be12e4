import { reconcileFixture } from '../../test/fakes/reconcile-fixture';

/** Re-provisioning what svc-sentry deprovisioned itself is expected (info); a key removed by someone else is a warning. */
describe('Reconciler logs: a client key svc-sentry deleted itself is not a warning', () => {
  function setup() {
    const log = { info: jest.fn(), warn: jest.fn() };
    return { ...reconcileFixture({ log }), log };
  }
  const said = (fn: jest.Mock, text: string) => fn.mock.calls.some(([, msg]) => String(msg).includes(text));

  it('enable, disable, enable again: the new key is logged at info, never "gone upstream" as a warning', async () => {
    const { service, caller, drain, log } = setup();
    await service.setMonitoring({ app: 'again', module: 'm', enabled: true }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    await service.setMonitoring({ app: 'again', module: 'm', enabled: false }, caller);
    await drain();
    await service.setMonitoring({ app: 'again', module: 'm', enabled: true }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    expect(said(log.warn, 'gone upstream')).toBe(false);
  });

  it('a key deleted out of band is still a warning', async () => {
    const { service, caller, drain, log, tracker, store } = setup();
    await service.setMonitoring({ app: 'oob', module: 'm', enabled: true }, caller);
    await drain();
    for (const p of tracker.projects.values()) p.keys = p.keys.filter((k) => !k.name.startsWith('svc-sentry:'));
    store.enqueued.push(...store.instances.map((i) => i.id));
    await drain();
    expect(said(log.warn, 'gone upstream')).toBe(true);
  });
});
