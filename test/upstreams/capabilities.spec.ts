import { CatalogService } from '../../src/catalog/catalog.service';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { configFile } from './support';

/** Issue 13: a plan asking for what its upstream cannot do is refused at start, right after the config loads, with a clear message. */
describe('plans vs upstream capabilities (start-up check)', () => {
  const upstreams = [
    { name: 'saas', kind: 'sentry', url: 'https://sentry.example', token: 't0ken-sentry', org: 'acme' },
    { name: 'gt', kind: 'glitchtip', url: 'https://glitchtip.example', token: 't0ken-gt', org: 'acme' },
    { name: 'bs', kind: 'bugsink', url: 'https://bugsink.example', token: 't0ken-bs' },
  ];
  const load = (content: Record<string, unknown>) => {
    const f = configFile(content);
    try {
      const config = loadConfig({ SVC_SENTRY_CONFIG: f.path });
      // Start-up (main.ts) refuses plans that ask for what their upstream cannot do, right after the config loads.
      new CatalogService(config);
      return config;
    } finally {
      f.remove();
    }
  };
  const problems = (content: Record<string, unknown>): string[] => {
    try {
      load(content);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it('refuses delete on Bugsink, legacy DSN on GlitchTip and Bugsink, key rate limits and alert rules where not served — all at once', () => {
    const p = problems({
      upstreams,
      plans: [
        { name: 'bs-delete', upstream: 'bs', deletePolicy: 'delete' },
        { name: 'gt-legacy', upstream: 'gt', dsnFormat: 'legacy' },
        { name: 'bs-legacy', upstream: 'bs', dsnFormat: 'legacy' },
        { name: 'gt-limit', upstream: 'gt', keyRateLimit: { count: 100, window: 60 } },
        { name: 'gt-rules', upstream: 'gt', defaultAlertRule: true },
      ],
    });
    expect(p).toEqual([
      expect.stringMatching(/^plans\.bs-delete\.deletePolicy: "delete" cannot be served by upstream "bs" \(Bugsink\), which cannot delete projects/),
      expect.stringMatching(/^plans\.gt-legacy\.dsnFormat: "legacy" .* upstream "gt" \(GlitchTip\), whose keys have no secret/),
      expect.stringMatching(/^plans\.bs-legacy\.dsnFormat: "legacy" .* upstream "bs" \(Bugsink\)/),
      expect.stringMatching(/^plans\.gt-limit\.keyRateLimit: per-key rate limits are not enforced by upstream "gt" \(GlitchTip\)/),
      expect.stringMatching(/^plans\.gt-rules\.defaultAlertRule: upstream "gt" \(GlitchTip\) creates no alert rule/),
    ]);
    expect(p.join('\n')).not.toMatch(/t0ken/);
  });

  it('accepts what each upstream can do; built-in plans follow the default upstream (no legacy plan, no alert rule on GlitchTip)', () => {
    const c = load({
      upstreams,
      defaultUpstream: 'gt',
      plans: [
        { name: 'gt-delete', upstream: 'gt', deletePolicy: 'delete' },
        { name: 'bs-keep', upstream: 'bs' },
        { name: 'saas-legacy', upstream: 'saas', dsnFormat: 'legacy', keyRateLimit: { count: 100, window: 60 } },
      ],
    });
    const catalog = new CatalogService(c);
    expect(catalog.find('legacy')).toBeUndefined();
    expect(catalog.get('default')).toMatchObject({ upstream: 'gt', defaultAlertRule: false });
    // Bugsink's project flag alert_on_new_issue is the default rule; GlitchTip (the default upstream) has none.
    expect(catalog.get('bs-keep')).toMatchObject({ upstream: 'bs', deletePolicy: 'keep', defaultAlertRule: true });
    expect(catalog.get('saas-legacy')).toMatchObject({ upstream: 'saas', dsnFormat: 'legacy' });
    // On a Sentry default upstream the built-ins are unchanged.
    const s = new CatalogService(load({ upstreams }));
    expect(s.get('default').defaultAlertRule).toBe(true);
    expect(s.get('legacy').dsnFormat).toBe('legacy');
  });

  it('Bugsink needs no org (it has no organizations); Sentry and GlitchTip do', () => {
    expect(problems({ upstreams: [{ name: 'bs', kind: 'bugsink', url: 'https://b.example', token: 'x1234567' }] })).toEqual([]);
    expect(problems({ upstreams: [{ name: 'gt', kind: 'glitchtip', url: 'https://g.example', token: 'x1234567' }] })).toEqual([
      expect.stringMatching(/org must be an organization slug/),
    ]);
  });

  it('SVC_SENTRY_UPSTREAM_* stay the shortcut for one default upstream of any kind (Bugsink without an org)', () => {
    const c = loadConfig({
      SVC_SENTRY_UPSTREAM_KIND: 'bugsink',
      SVC_SENTRY_UPSTREAM_URL: 'http://bugsink.example:8000',
      SVC_SENTRY_UPSTREAM_TOKEN: 'a'.repeat(40),
    });
    expect(c.upstreams).toEqual([expect.objectContaining({ name: 'default', kind: 'bugsink', url: 'http://bugsink.example:8000' })]);
    const catalog = new CatalogService(c);
    expect(catalog.list().map((p) => p.name)).toEqual(['default']);
    expect(catalog.get().defaultAlertRule).toBe(true);
  });
});
