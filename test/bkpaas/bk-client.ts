import { signHs256 } from '../../src/bkpaas/jwt';
import { TestApp } from '../support/app';

export const BK_ISS = 'paas-v3';
export const BK_KEY = 'bk-shared-key-0123456789';
export const OPS_ISS = 'ops-console';
export const OPS_KEY = 'ops-key-abcdefghijkl';
export const JWT_CLIENTS = `${BK_ISS}:${BK_KEY},${OPS_ISS}:${OPS_KEY}`;

export const platformToken = (claims: Record<string, unknown> = {}) =>
  signHs256({ iss: BK_ISS, expires_at: Math.floor(Date.now() / 1000) + 3600, role: 'internal_platform', ...claims }, BK_KEY);

/** A small client for the remote-service protocol, as the BlueKing apiserver calls it. */
export function bkClient(t: TestApp, prefix = '/bkpaas/') {
  return (method: string, path: string, body?: unknown, token: string | null = platformToken()) =>
    t.api(method, `${prefix}${path}`, body, token === null ? { authorization: '' } : { authorization: `Bearer ${token}` });
}

export const bkParams = (app: string, env: string, extra: Record<string, unknown> = {}) => ({
  engine_app_name: `bkapp-${app}-${env}`,
  application_code: app,
  module_name: 'default',
  env_name: env,
  region: 'default',
  ...extra,
});
