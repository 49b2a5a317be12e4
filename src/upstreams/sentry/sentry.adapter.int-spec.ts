import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { UpstreamConfig } from '../../config/config.schema';
import { SentryStandin, startSentryStandin } from '../../../test/harness/sentry-standin';
import { SentryTracker } from './sentry.adapter';

const ORG = 'acme';

/** The Sentry adapter against the Sentry API stand-in: pagination, 409s, members, keys, deletes, 429 back-off. */
describe('SentryTracker (against the Sentry API stand-in)', () => {
  let standin: SentryStandin;
  const tracker = (rate = 100, org = ORG) =>
    new SentryTracker(
      plainToInstance(UpstreamConfig, {
        name: `t${Math.random()}`,
        kind: 'sentry',
        url: standin.url,
        token: 'test-token',
        org,
        rateLimitPerSecond: rate,
        timeoutMs: 2000,
      }),
    );

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG, 'paced'], pageSize: 2 });
  });
  afterAll(() => standin?.close());

  it('creates a team once, then reports it as existing (409)', async () => {
    const t = tracker();
    expect(await t.ensureTeam('shop')).toBe('created');
    expect(await tracker().ensureTeam('shop')).toBe('exists');
    expect(standin.state.teams(ORG).filter((x) => x.slug === 'shop')).toHaveLength(1);
  });

  it('team members: adds org members (reports who was added and who is not in the org), removes only the ones asked, touches nobody else', async () => {
    for (const e of ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io', 'hand@x.io']) standin.state.addOrgMember(ORG, e);
    const t = tracker();
    expect(await t.syncTeamMembers('shop', { add: ['hand@x.io'], remove: [] })).toEqual({ added: ['hand@x.io'], removed: [], notInOrganization: [] });
    expect(await t.syncTeamMembers('shop', { add: ['a@x.io', 'b@x.io', 'c@x.io', 'stranger@x.io', 'Hand@x.io'], remove: [] })).toEqual({
      added: ['a@x.io', 'b@x.io', 'c@x.io'],
      removed: [],
      notInOrganization: ['stranger@x.io'],
    });
    expect(standin.state.teamMembers(ORG, 'shop').sort()).toEqual(['a@x.io', 'b@x.io', 'c@x.io', 'hand@x.io']);
    // Only what is asked goes; an e-mail that is no member is skipped.
    expect(await t.syncTeamMembers('shop', { add: ['C@x.io', 'd@x.io'], remove: ['a@x.io', 'B@x.io', 'gone@x.io'] })).toEqual({
      added: ['d@x.io'],
      removed: ['a@x.io', 'b@x.io'],
      notInOrganization: [],
    });
    expect(standin.state.teamMembers(ORG, 'shop').sort()).toEqual(['c@x.io', 'd@x.io', 'hand@x.io']);
  });

  it('creates a project (201), answers null on a duplicate (409), reads it with its team', async () => {
    const t = tracker();
    const p = await t.createProject({ team: 'shop', slug: 'shop-web-prod', platform: 'other', defaultRules: true });
    expect(p).toEqual({ id: expect.stringMatching(/^\d+$/), slug: 'shop-web-prod', teamSlugs: ['shop'] });
    expect(await t.createProject({ team: 'shop', slug: 'shop-web-prod', platform: 'other', defaultRules: true })).toBeNull();
    expect(await t.getProject('shop-web-prod')).toEqual(p);
    expect(await t.getProject('nope')).toBeNull();
  });

  it('lists keys across Link pages, creates and deletes only the key it names', async () => {
    const t = tracker();
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await t.createKey('shop-web-prod', { name: `svc-sentry:test:${i}` }));
    const keys = await t.listKeys('shop-web-prod');
    expect(keys.map((k) => k.name)).toEqual(['Default', ...made.map((k) => k.name)]);
    expect(made[0].dsn.public).toMatch(/^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
    expect(made[0].dsn.secret).toMatch(/^http:\/\/[0-9a-f]{32}:[0-9a-f]{32}@/);
    await t.deleteKey('shop-web-prod', made[1].id);
    await t.deleteKey('shop-web-prod', made[1].id); // already gone: fine
    expect(await t.getKey('shop-web-prod', made[1].id)).toBeNull();
    expect((await t.listKeys('shop-web-prod')).map((k) => k.name)).toEqual(['Default', made[0].name, made[2].name, made[3].name]);
  });

  it('deletes a project asynchronously (204) and the slug is free again', async () => {
    const t = tracker();
    await t.deleteProject('shop-web-prod');
    expect(await t.getProject('shop-web-prod')).toBeNull();
    expect(await t.createProject({ team: 'shop', slug: 'shop-web-prod', platform: 'other', defaultRules: false })).not.toBeNull();
  });

  it('an unknown team while creating a project is a retryable error', async () => {
    await expect(tracker().createProject({ team: 'ghost', slug: 'ghost-a-b', platform: 'other', defaultRules: true })).rejects.toMatchObject({
      retryable: true,
    });
  });

  it('backs off on 429 until the window resets and still gets every call through', async () => {
    standin.setFaults({ requestsPerSecond: 5 });
    standin.resetStats();
    const t = tracker(1000, 'paced'); // far above the upstream limit: only the upstream's answers pace it
    await t.ensureTeam('burst');
    const started = Date.now();
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) => t.createProject({ team: 'burst', slug: `burst-${i}`, platform: 'other', defaultRules: true })),
    );
    expect(created.every((p) => p !== null)).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(standin.stats().rateLimited).toBeGreaterThan(0);
    standin.setFaults({});
  });

  it('rejects with a clear error when the token lacks a scope, without echoing the token', async () => {
    standin.addToken('read-only-token', ['org:read', 'project:read', 'team:read']);
    const t = new SentryTracker(
      plainToInstance(UpstreamConfig, {
        name: 'ro',
        kind: 'sentry',
        url: standin.url,
        token: 'read-only-token',
        org: ORG,
        rateLimitPerSecond: 100,
        timeoutMs: 2000,
      }),
    );
    const err = await t.ensureTeam('nope').catch((e) => e);
    expect(err.code).toBe('UpstreamRejected');
    expect(err.message).toMatch(/403.*check the upstream token and its scopes/);
    expect(err.message).not.toContain('read-only-token');
  });
});
