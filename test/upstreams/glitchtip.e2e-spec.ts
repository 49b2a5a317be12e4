import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { dashed } from '../harness/sentry-standin/glitchtip';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, waitFor } from '../support/app';
import { baseEnv, configFile, MON } from './support';

const ORG = 'acme';
const BOT = 'svc-sentry-bot@example.com';

/**
 * GlitchTip (issue 13) on the stand-in in GlitchTip mode, real PostgreSQL, svc-sentry in process.
 * First the bug as filed (kind sentry: a second module after a restart hits GlitchTip's 500 for an existing team
 * and fails), then the glitchtip adapter through two modules, a restart with a fresh database, member changes,
 * key rotation and a delete plan.
 */
describe('GlitchTip upstream (stand-in in GlitchTip mode)', () => {
  let gt: SentryStandin;
  const apps: TestApp[] = [];
  const files: Array<{ remove: () => void }> = [];

  const start = async (kind: 'sentry' | 'glitchtip', opts: { databaseUrl?: string; extra?: Record<string, string> } = {}) => {
    const f = configFile({
      upstreams: [{ name: 'gt', kind, url: gt.url, token: 'test-token', org: ORG, rateLimitPerSecond: 200 }],
      plans: [{ name: 'ephemeral', deletePolicy: 'delete', ...(kind === 'sentry' ? {} : { defaultAlertRule: false }) }],
    });
    files.push(f);
    const t = await startTestApp(baseEnv(f.path, opts.extra), { databaseUrl: opts.databaseUrl });
    apps.push(t);
    return t;
  };
  const settled = (t: TestApp, app: string, module = 'default', want = ['ready']) =>
    waitFor(async () => {
      const s = (await t.api('GET', MON(app, module))).body;
      const envs = Object.values<any>(s?.environments ?? {});
      return envs.length === 2 && envs.every((e) => want.includes(e.state)) ? s : null;
    }, 60_000);
  const projectsOf = (app: string) => gt.state.projects(ORG).filter((p) => p.slug.startsWith(`${app}-`));
  const ourKeys = (slug: string) => gt.state.keys(ORG, slug).filter((k) => k.name.startsWith('svc-sentry:'));

  beforeAll(async () => {
    gt = await startSentryStandin({ orgs: [ORG], flavor: 'glitchtip', tokenUser: BOT, pageSize: 2 });
  });
  afterAll(async () => {
    for (const t of apps) await t.close().catch(() => undefined);
    for (const f of files) f.remove();
    await gt?.close();
  });

  it('the bug: kind sentry against GlitchTip fails the second module after a restart (existing team answers 500)', async () => {
    const t1 = await start('sentry', { extra: { SVC_SENTRY_RECONCILE_RETRY_LIMIT: '1' } });
    await t1.api('PUT', MON('bugapp', 'web'), { enabled: true });
    await settled(t1, 'bugapp', 'web');
    await t1.app.close();
    const t2 = await start('sentry', {
      databaseUrl: t1.databaseUrl,
      extra: { SVC_SENTRY_RECONCILE_RETRY_LIMIT: '1', SVC_SENTRY_ENCRYPTION_KEY: t1.encryptionKey },
    });
    await t2.api('PUT', MON('bugapp', 'worker'), { enabled: true });
    const s = await settled(t2, 'bugapp', 'worker', ['failed']);
    expect(Object.values<any>(s.environments).every((e) => e.state === 'failed')).toBe(true);
  });

  let t: TestApp;
  it('kind glitchtip: two modules of one app converge; one team, one project per environment, DSNs of our keys', async () => {
    t = await start('glitchtip');
    expect((await t.api('PUT', MON('shop', 'web'), { enabled: true, developers: ['dev1@shop.example'] })).status).toBe(202);
    gt.state.addOrgMember(ORG, 'dev1@shop.example');
    gt.state.addOrgMember(ORG, 'dev2@shop.example');
    await settled(t, 'shop', 'web');
    await t.app.close();
    // A restart (fresh adapter, no team memo) and the second module: the team exists, GlitchTip would answer 500.
    t = await start('glitchtip', { databaseUrl: t.databaseUrl, extra: { SVC_SENTRY_ENCRYPTION_KEY: t.encryptionKey } });
    await t.api('PUT', MON('shop', 'api'), { enabled: true, developers: ['dev1@shop.example'] });
    const api = await settled(t, 'shop', 'api');
    expect(gt.state.teams(ORG).filter((x) => x.slug === 'shop')).toHaveLength(1);
    expect(
      projectsOf('shop')
        .map((p) => p.slug)
        .sort(),
    ).toEqual(['shop-api-prod', 'shop-api-stag', 'shop-web-prod', 'shop-web-stag']);
    for (const env of ['stag', 'prod']) {
      const keys = ourKeys(`shop-api-${env}`);
      expect(keys).toHaveLength(1);
      expect(api.environments[env].dsn).toBe(`${gt.url.replace('://', `://${keys[0].public}@`)}/${keys[0].projectId}`);
      expect(api.environments[env].project.adminUrl).toBe(`${gt.url}/${ORG}/settings/projects/shop-api-${env}`);
    }
    // default_rules is not sent (GlitchTip ignores it; the stand-in records false either way).
    expect(projectsOf('shop').every((p) => !p.hasDefaultRules)).toBe(true);
  });

  it('a restart with a fresh database adopts the existing team and projects by naming and team: no duplicates', async () => {
    const before = projectsOf('shop').length;
    await t.close();
    t = await start('glitchtip');
    await t.api('PUT', MON('shop', 'web'), { enabled: true, developers: ['dev1@shop.example'] });
    await t.api('PUT', MON('shop', 'api'), { enabled: true, developers: ['dev1@shop.example'] });
    await settled(t, 'shop', 'web');
    await settled(t, 'shop', 'api');
    expect(projectsOf('shop')).toHaveLength(before);
    expect(projectsOf('shop').some((p) => /-\d+$/.test(p.slug))).toBe(false);
    expect(gt.state.teams(ORG).filter((x) => x.slug === 'shop')).toHaveLength(1);
  });

  it('member changes: a developer svc-sentry added and no module wants any more is removed; others and the token user stay', async () => {
    await waitFor(async () => gt.state.teamMembers(ORG, 'shop').includes('dev1@shop.example'));
    expect(gt.state.teamMembers(ORG, 'shop')).toContain(BOT);
    const members = async (want: string[]) =>
      waitFor(async () => JSON.stringify(gt.state.teamMembers(ORG, 'shop').sort()) === JSON.stringify([...want, BOT].sort()), 30_000);
    gt.state.addOrgMember(ORG, 'dev3@shop.example');
    await t.api('PUT', MON('shop', 'web'), { enabled: true, developers: ['dev2@shop.example', 'dev3@shop.example'] });
    // dev1 stays: module api still lists it (and this database did not add it: it came before the restart).
    await members(['dev1@shop.example', 'dev2@shop.example', 'dev3@shop.example']);
    await t.api('PUT', MON('shop', 'web'), { enabled: true, developers: ['dev2@shop.example'] });
    await members(['dev1@shop.example', 'dev2@shop.example']);
  });

  it('key rotation: our key deleted upstream is replaced on resync, and the DSN follows', async () => {
    const slug = 'shop-web-stag';
    const before = (await t.api('GET', MON('shop', 'web'))).body.environments.stag.dsn;
    // The key behind the DSN (an earlier database's key of the same project is still there, unknown to this one).
    const old = ourKeys(slug).find((k) => before.includes(`://${k.public}@`))!;
    gt.state.deleteKeyOutOfBand(ORG, slug, old.id);
    await t.app.get(ReconcileWorker).resync();
    const s = await waitFor(async () => {
      const st = (await t.api('GET', MON('shop', 'web'))).body;
      return st.environments.stag.state === 'ready' && st.environments.stag.dsn !== before ? st : null;
    }, 30_000);
    const fresh = ourKeys(slug).find((k) => s.environments.stag.dsn.includes(`://${k.public}@`))!;
    expect(fresh.public).not.toBe(old.public);
    expect(ourKeys(slug).some((k) => k.public === old.public)).toBe(false);
    expect(s.environments.stag.dsn).toContain(`://${fresh.public}@`);
    expect(dashed(fresh.public)).toMatch(/^[0-9a-f]{8}-/);
    // The unnamed default key of the project is still there, untouched.
    expect(gt.state.keys(ORG, slug).filter((k) => k.name === '')).toHaveLength(1);
  });

  it('delete plan: disable deletes our projects; the keep plan keeps them without a note', async () => {
    await t.api('PUT', MON('tmp', 'default'), { enabled: true, plan: 'ephemeral' });
    await settled(t, 'tmp');
    expect(projectsOf('tmp')).toHaveLength(2);
    await t.api('PUT', MON('tmp', 'default'), { enabled: false });
    const s = await settled(t, 'tmp', 'default', ['disabled']);
    expect(projectsOf('tmp')).toHaveLength(0);
    expect(Object.values<any>(s.environments).every((e) => !e.error)).toBe(true);

    const dsns = Object.values<any>((await t.api('GET', MON('shop', 'api'))).body.environments).map((e) => e.dsn);
    const keysBefore = ['stag', 'prod'].flatMap((env) => ourKeys(`shop-api-${env}`));
    await t.api('PUT', MON('shop', 'api'), { enabled: false });
    const kept = await settled(t, 'shop', 'api', ['disabled']);
    expect(projectsOf('shop').filter((p) => p.slug.startsWith('shop-api-'))).toHaveLength(2);
    expect(Object.values<any>(kept.environments).every((e) => !e.error)).toBe(true);
    // This database's keys are revoked; nothing else is touched.
    const keysAfter = ['stag', 'prod'].flatMap((env) => ourKeys(`shop-api-${env}`));
    expect(keysAfter).toHaveLength(keysBefore.length - 2);
    for (const k of keysAfter) expect(dsns.some((d) => d.includes(`://${k.public}@`))).toBe(false);
  });
});
