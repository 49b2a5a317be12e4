import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';
const A = 'a@example.com';
const B = 'b@example.com';
const HAND = 'hand@example.com';

/**
 * svc-sentry removes only the team members it added itself (recorded per upstream team), and a member stays while any
 * environment of the app's team still wants it; a member added by hand is never removed. Real PostgreSQL, Sentry stand-in.
 */
describe('reconcile: team members svc-sentry owns (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG], orgMembers: { [ORG]: [A, B, HAND] } });
    t = await startTestApp(upstreamEnv(standin.url));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const members = (app: string) => standin.state.teamMembers(ORG, app).sort();
  /** PUT, then wait until its operation settled (every environment reconciled at the new generation). */
  const put = async (app: string, module: string, body: object) => {
    const res = await t.api('PUT', `/api/v1/apps/${app}/modules/${module}/monitoring`, body);
    expect([200, 202]).toContain(res.status);
    if (res.status === 202) await waitFor(async () => (await t.api('GET', `/api/v1/operations/${res.body.operationId}`)).body.state === 'succeeded', 90_000);
  };
  /** Adds a member to the team by hand, as an admin would in Sentry's UI. */
  const addByHand = async (app: string, email: string) => {
    const res = await fetch(`${standin.url}/api/0/teams/${ORG}/${app}/members/`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    expect(res.status).toBe(201);
  };

  it('a member added by hand survives a sync; a developer svc-sentry added and then dropped from the list is removed', async () => {
    await put('own', 'web', { enabled: true, developers: [A] });
    expect(members('own')).toEqual([A]);
    await addByHand('own', HAND);
    await put('own', 'web', { enabled: true, developers: [A, B] });
    expect(members('own')).toEqual([A, B, HAND]);
    await put('own', 'web', { enabled: true, developers: [B] });
    expect(members('own')).toEqual([B, HAND]);
  });

  it('a developer who was a member before svc-sentry listed them is not removed when dropped from the list', async () => {
    await put('pre', 'web', { enabled: true, developers: [A] });
    await addByHand('pre', HAND);
    await put('pre', 'web', { enabled: true, developers: [A, HAND] });
    await put('pre', 'web', { enabled: true, developers: [A] });
    expect(members('pre')).toEqual([A, HAND]);
  });

  it('an empty developer list changes nothing', async () => {
    await put('empty', 'web', { enabled: true, developers: [A, B] });
    await put('empty', 'web', { enabled: true, developers: [] });
    expect(members('empty')).toEqual([A, B]);
  });

  it('two modules of one app share the team: a member stays while either wants it, also when one is turned off', async () => {
    await put('shared', 'web', { enabled: true, developers: [A, B] });
    await put('shared', 'api', { enabled: true, developers: [A] });
    expect(members('shared')).toEqual([A, B]);
    // web no longer lists A, but api does: A stays; B (only web wanted it) goes.
    await put('shared', 'web', { enabled: true, developers: [B] });
    expect(members('shared')).toEqual([A, B]);
    await put('shared', 'web', { enabled: true, developers: [A] });
    expect(members('shared')).toEqual([A]);
    await put('shared', 'web', { enabled: false });
    expect(members('shared')).toEqual([A]);
    // api still syncs: it keeps A.
    await put('shared', 'api', { enabled: true, developers: [A, B] });
    expect(members('shared')).toEqual([A, B]);
  });
});
