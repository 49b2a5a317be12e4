import { isDnsLabel } from '../common/names';
import { TargetRequest } from '../instances/model';
import { MAINTENANCE_VERSION, OSB_SERVICE_ID, osbPlan, OsbPlan } from './osb-catalog';
import { DomainError, ErrorCode } from '../common/domain-error';
import { badRequest } from './osb-errors';
import { since } from './version';

/** Validation of OSB request bodies and queries (400 with a description; nothing is written). */

export function asObject(v: unknown, name: string, required = false): Record<string, unknown> | undefined {
  if (v === undefined || v === null) {
    if (required) throw badRequest(`${name} is required`);
    return undefined;
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`${name} must be an object`);
  return v as Record<string, unknown>;
}

export function requiredString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || !v.trim()) throw badRequest(`${field} is required`);
  return v;
}

export function servicePlan(serviceId: unknown, planId: unknown): OsbPlan {
  if (typeof serviceId !== 'string' || !serviceId) throw badRequest('service_id is required');
  if (serviceId !== OSB_SERVICE_ID) throw badRequest(`service_id "${serviceId}" is not in the catalog`);
  if (typeof planId !== 'string' || !planId) throw badRequest('plan_id is required');
  const plan = osbPlan(planId);
  if (!plan) throw badRequest(`plan_id "${planId}" is not in the catalog`);
  return plan;
}

/** `maintenance_info` exists from 2.15; below it the field is unknown and ignored (never a 422). */
export function checkMaintenance(raw: unknown, minor: number): void {
  if (!since(minor, 'maintenanceInfoRequest')) return;
  const mi = asObject(raw, 'maintenance_info');
  if (mi && mi.version !== MAINTENANCE_VERSION) {
    throw new DomainError(
      ErrorCode.MaintenanceInfoConflict,
      `maintenance_info.version "${String(mi.version)}" does not match the catalog's ${MAINTENANCE_VERSION}; fetch the catalog again.`,
    );
  }
}

export const acceptsIncomplete = (q: unknown) => q === 'true' || q === true;

/** `parameters` → (app, module, env); without them `osb-<first 12 characters of the instance id>`, `default`, `prod`. */
export function instanceTarget(instanceId: string, params: Record<string, unknown> | undefined, environments: string[]) {
  const problems: string[] = [];
  for (const k of Object.keys(params ?? {})) if (!['app', 'module', 'environment'].includes(k)) problems.push(`parameters.${k} is not a known parameter`);
  const pick = (k: string) => {
    const v = params?.[k];
    if (v === undefined) return undefined;
    if (!isDnsLabel(v)) problems.push(`parameters.${k} must be a DNS-1123 label`);
    return v as string;
  };
  const app = pick('app') ?? defaultApp(instanceId);
  const module = pick('module') ?? 'default';
  const env = pick('environment') ?? (environments.includes('prod') ? 'prod' : environments[environments.length - 1]);
  if (!environments.includes(env)) problems.push(`parameters.environment must be one of ${environments.join(', ')}`);
  if (problems.length) throw badRequest(problems.join('; '));
  return { app, module, env };
}

export function defaultApp(instanceId: string): string {
  const head = instanceId
    .slice(0, 12)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  return `osb-${head || 'instance'}`;
}

/** OSB context → where the instance's Secret goes: `namespace`, and the Kubernetes `clusterid` as the cluster. */
export function targetFromContext(context: Record<string, unknown> | undefined): TargetRequest | null {
  if (!context) return null;
  const ns = context.namespace;
  const cluster = context.clusterid;
  if (ns === undefined) return null;
  if (!isDnsLabel(ns)) throw badRequest('context.namespace must be a DNS-1123 label');
  if (cluster !== undefined && (typeof cluster !== 'string' || !cluster)) throw badRequest('context.clusterid must be a string');
  return { namespace: ns, ...(cluster ? { cluster: cluster as string } : {}) };
}

export const validId = (id: string, what: string) => {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id)) throw badRequest(`${what} must be 1-128 characters of letters, digits, ".", "_" or "-"`);
};
