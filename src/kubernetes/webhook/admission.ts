import { buildEnvPatch, envPatchKey, MalformedPodError, PodLike } from './env-patch';
import { EnabledTarget } from './enabled-targets';

/**
 * admission.k8s.io/v1 AdmissionReview handling for Pods on CREATE: decides from the in-memory view only.
 * Returns the HTTP status and the review to send; never throws.
 */
export type Decision = 'patched' | 'unchanged' | 'not_enabled' | 'not_labelled' | 'ignored' | 'malformed' | 'error';

export interface AdmissionContext {
  lookup(namespace: string, app: string, module: string, cluster?: string): EnabledTarget | undefined;
  appLabel: string;
  moduleLabel: string;
  versionLabel?: string;
  /** Cluster named by the webhook URL path (/mutate-pods/<cluster>), if any. */
  cluster?: string;
}

export interface AdmissionResult {
  status: number;
  body: string;
  decision: Decision;
  dryRun: boolean;
  uid?: string;
  error?: Error;
}

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; resource?: string };
  subResource?: string;
  namespace?: string;
  operation?: string;
  object?: PodLike & { metadata?: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
  dryRun?: boolean;
}

/** A Pod labelled `svc-sentry.io/inject: "false"` is left alone. */
export const OPT_OUT_LABEL = 'svc-sentry.io/inject';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const HEAD = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":';
/** The response review; the patch is base64 (no escaping needed), so it is spliced in as text. */
const reply = (uid: string, patchB64?: string) =>
  `${HEAD}${JSON.stringify(uid)},"allowed":true${patchB64 ? `,"patchType":"JSONPatch","patch":"${patchB64}"` : ''}}}`;

/** Encoded patches by envPatchKey: Pods of one ReplicaSet produce the same patch. Bounded; oldest entries go first. */
const PATCHES = new Map<string, string>();
const PATCH_CACHE_MAX = 2048;

function encodedPatch(pod: PodLike, secretName: string, versionLabel?: string): string {
  const key = envPatchKey(pod, secretName, versionLabel);
  const hit = key === undefined ? undefined : PATCHES.get(key);
  if (hit !== undefined) return hit;
  const ops = buildEnvPatch(pod, secretName, versionLabel);
  const encoded = ops.length ? Buffer.from(JSON.stringify(ops)).toString('base64') : '';
  if (key !== undefined) {
    if (PATCHES.size >= PATCH_CACHE_MAX) PATCHES.delete(PATCHES.keys().next().value as string);
    PATCHES.set(key, encoded);
  }
  return encoded;
}

const malformed = (why: string): AdmissionResult => ({
  status: 400,
  decision: 'malformed',
  dryRun: false,
  body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, message: `malformed AdmissionReview: ${why}` }),
});

function parseReview(raw: string | Buffer): AdmissionRequest | string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an AdmissionReview, parsed from JSON and checked field by field
  let review: any;
  try {
    review = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (!review || typeof review !== 'object') return 'body is not an object';
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    return 'expected apiVersion admission.k8s.io/v1, kind AdmissionReview';
  }
  const req = review.request;
  if (!req || typeof req !== 'object') return 'missing request';
  if (typeof req.uid !== 'string' || req.uid === '') return 'missing request.uid';
  return req as AdmissionRequest;
}

export function admit(raw: string | Buffer, ctx: AdmissionContext): AdmissionResult {
  const req = parseReview(raw);
  if (typeof req === 'string') return malformed(req);
  const dryRun = req.dryRun === true;
  const done = (decision: Decision, patchB64?: string, error?: Error): AdmissionResult => ({
    status: 200,
    body: reply(req.uid, patchB64),
    decision,
    dryRun,
    uid: req.uid,
    error,
  });
  try {
    const isPod = (req.kind?.kind === 'Pod' && !req.kind.group) || (req.resource?.resource === 'pods' && !req.resource.group);
    if (!isPod || req.operation !== 'CREATE' || req.subResource) return done('ignored');
    const pod = req.object;
    if (!pod || typeof pod !== 'object') return malformed('request.object missing for a Pod CREATE');
    const labels = pod.metadata?.labels ?? {};
    // Opt-out label, and mirror Pods of static Pods (the kubelet's; they must not be changed).
    if (labels[OPT_OUT_LABEL] === 'false' || pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return done('ignored');
    const app = labels[ctx.appLabel];
    const module = labels[ctx.moduleLabel];
    if (!app || !module) return done('not_labelled');
    const namespace = req.namespace || pod.metadata?.namespace;
    if (!namespace) return done('not_enabled');
    const target = ctx.lookup(namespace, app, module, ctx.cluster);
    if (!target) return done('not_enabled');
    let patch: string;
    try {
      patch = encodedPatch(pod, target.secretName, ctx.versionLabel);
    } catch (e) {
      if (e instanceof MalformedPodError) return malformed(e.message);
      throw e;
    }
    if (!patch) return done('unchanged');
    // No side effects either way: the answer is the same for dryRun requests (the caller sees the mutation).
    return done('patched', patch);
  } catch (e) {
    // Fail open: allowed, no patch; the server logs and counts it.
    return done('error', undefined, e as Error);
  }
}
