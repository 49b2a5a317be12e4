import { DomainError, ErrorCode, isDomainError } from '../common/domain-error';

/**
 * HTTP status of an apiserver answer: carried by a client-node ApiException (`code`), or by a DomainError this
 * module made from one (`details.status`), else undefined.
 */
export function statusOf(e: unknown): number | undefined {
  const code = isDomainError(e) ? e.details?.status : (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

function networkCode(e: unknown): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks the client's error causes, whose shapes vary by version
  let cur: any = e;
  for (let i = 0; cur && i < 4; i++) {
    const c = cur.code ?? cur.errno;
    if (typeof c === 'string' && NETWORK_CODES.has(c)) return c;
    if (cur.name === 'AbortError' || cur.type === 'request-timeout' || cur.type === 'aborted') return 'TIMEOUT';
    if (typeof cur.message === 'string' && /socket hang up|network timeout|ECONNREFUSED|ECONNRESET/.test(cur.message)) return 'NETWORK';
    cur = cur.cause ?? cur.error;
  }
  return undefined;
}

/** The apiserver's own words (Status.message), short and free of object data. */
function apiMessage(e: unknown): string {
  const body = (e as { body?: unknown })?.body;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an apiserver Status body, parsed from JSON
  let parsed: any = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = { message: body };
    }
  }
  const msg = typeof parsed?.message === 'string' ? parsed.message : ((e as Error)?.message ?? String(e));
  return msg.slice(0, 300);
}

/** Where a failed request went: `what` names the verb, the resource and (if any) its name and namespace. */
function where(what: string, details: Record<string, unknown>): string {
  const cluster = typeof details.cluster === 'string' ? `cluster "${details.cluster}"` : 'the cluster';
  const ns =
    typeof details.namespace === 'string' && details.namespace !== '*' && !what.includes(` in namespace ${details.namespace}`)
      ? ` in namespace ${details.namespace}`
      : '';
  return `${what}${ns} (${cluster})`;
}

/**
 * Maps a client-node failure to a DomainError:
 * - unreachable, too slow, 429 and 5xx: retryable ClusterUnavailable (the reconciler retries it);
 * - 409 (changed meanwhile) and 404 (the namespace does not exist yet; the PaaS may create it with the first deploy):
 *   retryable ClusterRejected;
 * - 401/403 (credentials, RBAC, quota), 400/422 (invalid object) and admission refusals: terminal ClusterRejected,
 *   naming the verb, the resource and the namespace (and for 401/403 what RBAC svc-sentry needs).
 */
export function toDomainError(e: unknown, what: string, details: Record<string, unknown>): DomainError {
  if (isDomainError(e)) return e;
  const status = statusOf(e);
  const at = where(what, details);
  if (status === undefined) {
    const net = networkCode(e);
    if (net) {
      return new DomainError(
        ErrorCode.ClusterUnavailable,
        `Kubernetes apiserver unreachable: ${at} failed (${net}); will retry`,
        { ...details, reason: net },
        true,
      );
    }
    return new DomainError(ErrorCode.Internal, `unexpected error: ${at}: ${(e as Error)?.message ?? e}`, details, false);
  }
  const message = apiMessage(e);
  if (status === 429 || status >= 500) {
    return new DomainError(
      ErrorCode.ClusterUnavailable,
      `Kubernetes apiserver answered ${status} to ${at}: ${message}; will retry`,
      { ...details, status },
      true,
    );
  }
  if (status === 409) {
    return new DomainError(
      ErrorCode.ClusterRejected,
      `Kubernetes answered 409 (changed meanwhile) to ${at}: ${message}; will retry`,
      { ...details, status },
      true,
    );
  }
  if (status === 401 || status === 403) {
    return new DomainError(
      ErrorCode.ClusterRejected,
      `Kubernetes refused to ${at} (${status}): ${message}. Check the credentials of the cluster and that its RBAC lets svc-sentry ` +
        'get, list, create, patch and delete Secrets (server-side apply of a new Secret needs create) and, for rollout, list and patch Deployments in that namespace',
      { ...details, status },
      false,
    );
  }
  if (status === 404) {
    return new DomainError(ErrorCode.ClusterRejected, `Kubernetes answered 404 to ${at}: ${message}. Does the namespace exist?`, { ...details, status }, true);
  }
  return new DomainError(ErrorCode.ClusterRejected, `Kubernetes refused to ${at} (${status}): ${message}`, { ...details, status }, false);
}

/** Rejects after ms with a retryable timeout so a hung apiserver cannot stall a reconcile job. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string, details: Record<string, unknown>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DomainError(
            ErrorCode.ClusterUnavailable,
            `Kubernetes apiserver did not answer: ${where(what, details)} took longer than ${ms} ms; will retry`,
            { ...details, reason: 'timeout' },
            true,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
