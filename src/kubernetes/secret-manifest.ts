import { DesiredSecret, InstanceIdentity, SecretRef } from './kubernetes-targets.port';

/** Labels and shape of the Secret svc-sentry owns; pure functions, no client types. */
export const FIELD_MANAGER = 'svc-sentry';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_APP = 'svc-sentry.io/app';
export const LABEL_MODULE = 'svc-sentry.io/module';
export const LABEL_ENV = 'svc-sentry.io/env';
export const ROLLOUT_ANNOTATION = 'svc-sentry.io/secret-version';

export const secretNameFor = (module: string) => `svc-sentry-${module}`;

export function ownedLabels(id: InstanceIdentity): Record<string, string> {
  return { [MANAGED_BY]: FIELD_MANAGER, [LABEL_APP]: id.app, [LABEL_MODULE]: id.module, [LABEL_ENV]: id.env };
}

/** The apply configuration (server-side apply body) of the Secret. */
export function secretApplyBody(ref: SecretRef, desired: DesiredSecret, resourceVersion?: string): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired.data)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: ownedLabels(desired),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: 'Opaque',
    data,
  };
}

/** What we need to know of a live Secret (mapped from the client type by the adapter). */
export interface LiveSecret {
  labels: Record<string, string>;
  data: Record<string, string>; // base64 values as stored
  type?: string;
  resourceVersion?: string;
  managers: Array<{ manager?: string; operation?: string }>;
}

export type Ownership = { owned: true } | { owned: false; reason: string };

/**
 * Ours when labelled managed-by=svc-sentry or applied by our field manager, and not labelled for another
 * (app, module, env). A Secret someone else made is never ours, whatever its name.
 */
export function ownership(live: LiveSecret, id: InstanceIdentity): Ownership {
  const byLabel = live.labels[MANAGED_BY] === FIELD_MANAGER;
  const byManager = live.managers.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply');
  if (!byLabel && !byManager) {
    const who = live.labels[MANAGED_BY] ? ` (managed-by: ${live.labels[MANAGED_BY]})` : '';
    return { owned: false, reason: `exists but was not created by svc-sentry${who}` };
  }
  for (const [key, want] of [
    [LABEL_APP, id.app],
    [LABEL_MODULE, id.module],
    [LABEL_ENV, id.env],
  ] as const) {
    const have = live.labels[key];
    if (have !== undefined && have !== want) return { owned: false, reason: `belongs to another svc-sentry instance (${key}=${have})` };
  }
  return { owned: true };
}

/** True when the live Secret already carries our labels, type and values (keys added by others are left alone). */
export function secretUpToDate(live: LiveSecret, desired: DesiredSecret): boolean {
  if (live.type && live.type !== 'Opaque') return false;
  for (const [k, v] of Object.entries(ownedLabels(desired))) if (live.labels[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.data)) {
    if (live.data[k] !== Buffer.from(v, 'utf8').toString('base64')) return false;
  }
  return true;
}

export function notOwnedMessage(ref: SecretRef, reason: string): string {
  return (
    `Secret ${ref.namespace}/${ref.name} in cluster "${ref.cluster}" ${reason}; svc-sentry will not overwrite it. ` +
    `Delete or rename that Secret (kubectl -n ${ref.namespace} delete secret ${ref.name}), or choose another namespace ` +
    'for this environment, then retry.'
  );
}
