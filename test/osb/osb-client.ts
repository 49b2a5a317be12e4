import { TestApp } from '../support/app';

export const OSB_USER = 'broker';
export const OSB_PASS = 'osb-secret-password-42';
export const BASIC = `Basic ${Buffer.from(`${OSB_USER}:${OSB_PASS}`).toString('base64')}`;

/** An OSB platform talking to the broker with a given X-Broker-API-Version. */
export function osbClient(t: TestApp, version = '2.17') {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    t.api(method, path, body, { authorization: BASIC, 'x-broker-api-version': version, ...headers });
}

export const identity = (platform: string, value: Record<string, unknown>) => `${platform} ${Buffer.from(JSON.stringify(value)).toString('base64')}`;

export interface Ids {
  service: string;
  sync: string;
  async: string;
}

export async function catalogIds(t: TestApp): Promise<Ids> {
  const c = (await osbClient(t)('GET', '/v2/catalog')).body;
  const svc = c.services[0];
  const plan = (name: string) => svc.plans.find((p: any) => p.name === name).id;
  return { service: svc.id, sync: plan('default'), async: plan('default-async') };
}

export const provisionBody = (ids: Ids, plan: string, extra: Record<string, unknown> = {}) => ({
  service_id: ids.service,
  plan_id: plan,
  organization_guid: 'org-1',
  space_guid: 'space-1',
  ...extra,
});
