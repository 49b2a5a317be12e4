import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { UpstreamConfig } from '../../config/config.schema';
import { SentryStandin, startSentryStandin } from '../../../test/harness/sentry-standin';
import { SentryTracker } from '../sentry/sentry.adapter';
import { GlitchtipTracker, glitchtipKeyId } from './glitchtip.adapter';

const ORG = 'acme';
const BOT = 'bot@glitchtip.example';

/** The GlitchTip adapter against the stand-in in GlitchTip mode, one difference at a time (issue 13). */
describe('GlitchtipTracker (against the stand-in in GlitchTip mode)', () => {
  let gt: SentryStandin;
  const cfg = (kind: 'sentry' | 'glitchtip') =>
    plainToInstance(UpstreamConfig, { name: `g${Math.random()}`, kind, url: gt.url, token: 'test-token', org: ORG, rateLimitPerSecond: 200, timeoutMs: 2000 });
  const tracker = () => new GlitchtipTracker(cfg('glitchtip'));

  beforeAll(async () => {
    gt = await startSentryStandin({ orgs: [ORG], flavor: 'glitchtip', tokenUser: BOT, pageSize: 2 });
  });
  afterAll(() => gt?.close());

  it('an existing team: the Sentry adapter gets the 500 (the bug), the GlitchTip adapter looks it up and reports "exists"', async () => {
    expect(await tracker().ensureTeam('shop')).toBe('created');
    await expect(new SentryTracker(cfg('sentry')).ensureTeam('shop')).rejects.toThrow(/500/);
    expect(await tracker().ensureTeam('shop')).toBe('exists');
    expect(gt.state.teams(ORG).filter((t) => t.slug === 'shop')).toHaveLength(1);
    expect(gt.state.teamMembers(ORG, 'shop')).toEqual([BOT]);
  });

  it('an existing project: never a silent "-2" duplicate; ownership read from the teams/ sub-resource', async () => {
    const t = tracker();
    const p = await t.createProject({ team: 'shop', slug: 'shop-web-stag', platform: 'other', defaultRules: true });
    expect(p).toMatchObject({ slug: 'shop-web-stag', teamSlugs: ['shop'] });
    expect(await tracker().createProject({ team: 'shop', slug: 'shop-web-stag', platform: 'other', defaultRules: true })).toBeNull();
    expect(await tracker().getProject('shop-web-stag')).toMatchObject({ id: p!.id, slug: 'shop-web-stag', teamSlugs: ['shop'] });
    expect(gt.state.projects(ORG).map((x) => x.slug)).toEqual(['shop-web-stag']);
  });

  it('two creators racing for one slug: the loser deletes its "-2" and reports "exists"', async () => {
    const results = await Promise.all(
      [tracker(), tracker(), tracker()].map((t) => t.createProject({ team: 'shop', slug: 'shop-api-prod', platform: 'other', defaultRules: false })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(gt.state.projects(ORG).filter((x) => x.slug.startsWith('shop-api-prod'))).toHaveLength(1);
  });

  it('keys: dashed-UUID ids, the public DSN as "secret", 32-hex and non-UUID ids handled without a 500', async () => {
    const t = tracker();
    const k = await t.createKey('shop-web-stag', { name: 'svc-sentry:primary:x', rateLimit: { count: 5, window: 60 } });
    expect(k.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(k.dsn.secret).toBe(k.dsn.public);
    expect(k.dsn.public).toContain(`://${k.id.replace(/-/g, '')}@`);
    expect(await t.getKey('shop-web-stag', k.id.replace(/-/g, ''))).toMatchObject({ id: k.id });
    expect(await t.getKey('shop-web-stag', 'not-a-uuid')).toBeNull();
    const keys = await t.listKeys('shop-web-stag');
    expect(keys.map((x) => x.name).sort()).toEqual(['', 'svc-sentry:primary:x']); // the automatic key is unnamed
    expect(keys.every((x) => x.isActive)).toBe(true);
    await t.deleteKey('shop-web-stag', k.id);
    expect(await t.getKey('shop-web-stag', k.id)).toBeNull();
    await t.deleteKey('shop-web-stag', k.id); // absent is fine
  });

  it('members: whole (paginated, set-syntax Link) list matched here; only the asked ones change; the token user is never removed', async () => {
    for (const e of ['a@x.io', 'b@x.io', 'c@x.io']) gt.state.addOrgMember(ORG, e);
    const t = tracker();
    expect((await t.syncTeamMembers('shop', { add: ['a@x.io', 'c@x.io'], remove: [] })).added).toEqual(['a@x.io', 'c@x.io']);
    expect(gt.state.teamMembers(ORG, 'shop').sort()).toEqual(['a@x.io', BOT, 'c@x.io'].sort());
    // Even asked to, the token user stays (GlitchTip added it to the team it created).
    expect((await t.syncTeamMembers('shop', { add: ['b@x.io'], remove: ['a@x.io', BOT] })).removed).toEqual(['a@x.io']);
    expect(gt.state.teamMembers(ORG, 'shop').sort()).toEqual(['b@x.io', BOT, 'c@x.io'].sort());
  });

  it("base URL without regionUrl; adminUrl is GlitchTip's project settings page", async () => {
    const t = tracker();
    await t.ping();
    expect(t.projectUrl('shop-web-stag')).toBe(`${gt.url}/${ORG}/settings/projects/shop-web-stag`);
    expect(glitchtipKeyId('0123456789abcdef0123456789abcdef')).toBe('01234567-89ab-cdef-0123-456789abcdef');
    expect(glitchtipKeyId('zz')).toBeNull();
  });

  it('429 with only Retry-After (no X-Sentry-Rate-Limit-* headers): waited out, then answered', async () => {
    gt.setFaults({ requestsPerSecond: 2 });
    try {
      const t = tracker();
      const got = await Promise.all(Array.from({ length: 6 }, () => t.getProject('shop-web-stag')));
      expect(got.every((p) => p?.slug === 'shop-web-stag')).toBe(true);
      expect(gt.stats().rateLimited).toBeGreaterThan(0);
    } finally {
      gt.setFaults({});
    }
  });
});
