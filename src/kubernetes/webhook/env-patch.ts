/**
 * Builds the JSONPatch (RFC 6902) that injects Sentry settings into a Pod's containers as references:
 * SENTRY_DSN / SENTRY_ENVIRONMENT / SENTRY_TRACES_SAMPLE_RATE from the Secret (`secretKeyRef`, optional) and
 * SENTRY_RELEASE from the Pod's version label (downward API). Pure and idempotent: a variable a container
 * already sets is left alone (the user wins), and a second pass over the patched Pod yields no operations.
 */
export const SECRET_KEYS = ['SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE'] as const;
export const RELEASE_VAR = 'SENTRY_RELEASE';

export interface JsonPatchOp {
  op: 'add';
  path: string;
  value: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

interface ContainerLike {
  env?: unknown;
}

export interface PodLike {
  metadata?: { labels?: Record<string, string> | null } | null;
  spec?: { containers?: unknown } | null;
}

/** The env entries svc-sentry wants in every container of the Pod. */
export function wantedEnv(secretName: string, versionLabel: string | undefined, labels: Record<string, string>): EnvVar[] {
  const env: EnvVar[] = SECRET_KEYS.map((key) => ({
    name: key,
    valueFrom: { secretKeyRef: { name: secretName, key, optional: true } },
  }));
  if (versionLabel && typeof labels[versionLabel] === 'string' && labels[versionLabel] !== '') {
    // Label keys are quoted inside the fieldPath: metadata.labels['app.kubernetes.io/version'].
    env.push({ name: RELEASE_VAR, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${versionLabel}']` } } });
  }
  return env;
}

export class MalformedPodError extends Error {}

/**
 * Operations to add the wanted variables to each container of pod.spec.containers.
 * Throws MalformedPodError when the Pod does not have the shape of a Pod.
 */
export function buildEnvPatch(pod: PodLike, secretName: string, versionLabel?: string): JsonPatchOp[] {
  const containers = pod?.spec?.containers;
  if (!Array.isArray(containers)) throw new MalformedPodError('pod.spec.containers is not an array');
  const labels = (pod.metadata?.labels ?? {}) as Record<string, string>;
  const wanted = wantedEnv(secretName, versionLabel, labels);
  const ops: JsonPatchOp[] = [];
  containers.forEach((c: ContainerLike, i: number) => {
    if (!c || typeof c !== 'object') throw new MalformedPodError(`pod.spec.containers[${i}] is not an object`);
    const base = `/spec/containers/${i}/env`;
    if (c.env === undefined || c.env === null) {
      ops.push({ op: 'add', path: base, value: wanted });
      return;
    }
    if (!Array.isArray(c.env)) throw new MalformedPodError(`pod.spec.containers[${i}].env is not an array`);
    const present = new Set(c.env.map((e: { name?: unknown }) => e?.name).filter((n): n is string => typeof n === 'string'));
    for (const v of wanted) if (!present.has(v.name)) ops.push({ op: 'add', path: `${base}/-`, value: v });
  });
  return ops;
}

/**
 * A key that determines buildEnvPatch's result (secret, release label value presence, and per container whether env
 * is absent or which wanted names it already sets), so the encoded patch can be reused: Pods of one ReplicaSet are
 * alike. Undefined when the shape is unusual (then the caller builds the patch, which validates).
 */
export function envPatchKey(pod: PodLike, secretName: string, versionLabel?: string): string | undefined {
  const containers = pod?.spec?.containers;
  if (!Array.isArray(containers)) return undefined;
  const labels = (pod.metadata?.labels ?? {}) as Record<string, string>;
  const release = !!versionLabel && typeof labels[versionLabel] === 'string' && labels[versionLabel] !== '';
  let key = `${secretName}|${release ? versionLabel : ''}|`;
  for (const c of containers as ContainerLike[]) {
    if (!c || typeof c !== 'object') return undefined;
    if (c.env === undefined || c.env === null) {
      key += 'n,';
      continue;
    }
    if (!Array.isArray(c.env)) return undefined;
    let mask = 0;
    for (const e of c.env as Array<{ name?: unknown }>) {
      const i = ALL_VARS.indexOf(e?.name as string);
      if (i >= 0) mask |= 1 << i;
    }
    key += `${mask},`;
  }
  return key;
}

const ALL_VARS: readonly string[] = [...SECRET_KEYS, RELEASE_VAR];

/** Applies add-operations produced by buildEnvPatch to a copy of pod (used by tests and the idempotency check). */
export function applyEnvPatch<T extends PodLike>(pod: T, ops: JsonPatchOp[]): T {
  const copy = JSON.parse(JSON.stringify(pod)) as T;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks a Pod manifest by JSON pointer
    let node: any = copy;
    for (const p of parts.slice(0, -1)) node = node[p];
    const last = parts[parts.length - 1];
    if (Array.isArray(node) && last === '-') node.push(op.value);
    else node[last] = op.value;
  }
  return copy;
}
