import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config';

const yaml = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'svc-sentry-cfg-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
};

describe('loadConfig', () => {
  it('has working defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, role: 'all', environments: ['stag', 'prod'], upstreams: [], apiTokens: [] });
    expect(c.reconcile.retryLimit).toBe(8);
  });

  it("reads resync's upstream share (default 0.5) and refuses one outside 0.01..1, naming the variable", () => {
    expect(loadConfig({}).reconcile.resyncUpstreamShare).toBe(0.5);
    expect(loadConfig({ SVC_SENTRY_RESYNC_UPSTREAM_SHARE: '0.25' }).reconcile.resyncUpstreamShare).toBe(0.25);
    for (const bad of ['0', '1.5', 'half']) {
      expect(() => loadConfig({ SVC_SENTRY_RESYNC_UPSTREAM_SHARE: bad })).toThrow(/SVC_SENTRY_RESYNC_UPSTREAM_SHARE/);
    }
  });

  it('builds the default upstream from SVC_SENTRY_UPSTREAM_*', () => {
    const c = loadConfig({
      SVC_SENTRY_UPSTREAM_URL: 'https://sentry.io',
      SVC_SENTRY_UPSTREAM_TOKEN: 'sntryi_x',
      SVC_SENTRY_UPSTREAM_ORG: 'acme',
      SVC_SENTRY_API_TOKENS: 'aaaaaaaa, bbbbbbbb',
    });
    expect(c.upstreams).toEqual([expect.objectContaining({ name: 'default', kind: 'sentry', url: 'https://sentry.io', org: 'acme', rateLimitPerSecond: 20 })]);
    expect(c.apiTokens).toEqual(['aaaaaaaa', 'bbbbbbbb']);
  });

  it('lists every bad value in one error and never echoes secrets', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({
        PORT: '99999',
        SVC_SENTRY_ROLE: 'boss',
        SVC_SENTRY_ENCRYPTION_KEY: 'not-hex-secret-value',
        SVC_SENTRY_UPSTREAM_URL: 'ftp://x',
        SVC_SENTRY_UPSTREAM_TOKEN: 'sntryi_supersecret',
        SVC_SENTRY_UPSTREAM_ORG: 'Acme Corp',
        DATABASE_URL: 'mysql://u:dbpassword@h/db',
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.message;
    for (const name of ['PORT', 'SVC_SENTRY_ROLE', 'SVC_SENTRY_ENCRYPTION_KEY', 'SVC_SENTRY_UPSTREAM_URL', 'SVC_SENTRY_UPSTREAM_ORG', 'DATABASE_URL']) {
      expect(text).toContain(name);
    }
    expect(err!.problems.length).toBeGreaterThanOrEqual(6);
    expect(text).not.toContain('not-hex-secret-value');
    expect(text).not.toContain('dbpassword');
  });

  it('reads plans and upstreams from YAML, with env vars overriding it', () => {
    const file = yaml(`
upstreams:
  - { name: saas, kind: sentry, url: https://sentry.io, token: t1, org: acme }
defaultUpstream: saas
plans:
  - { name: gold, deletePolicy: delete, envs: { prod: { tracesSampleRate: 0.5 } } }
`);
    const c = loadConfig({ SVC_SENTRY_CONFIG: file, SVC_SENTRY_UPSTREAM_ORG: 'other' });
    expect(c.upstreams).toHaveLength(1);
    expect(c.upstreams[0]).toMatchObject({ name: 'saas', org: 'other', token: 't1' });
    expect(c.plans[0]).toMatchObject({ name: 'gold', deletePolicy: 'delete' });
  });

  it('rejects a plan naming an unknown upstream and a bad YAML file', () => {
    expect(() => loadConfig({ SVC_SENTRY_CONFIG: yaml('plans:\n  - { name: p, upstream: nowhere }\n') })).toThrow(/no upstream named "nowhere"/);
    expect(() => loadConfig({ SVC_SENTRY_CONFIG: yaml('plans: [\n') })).toThrow(/SVC_SENTRY_CONFIG/);
  });
});
