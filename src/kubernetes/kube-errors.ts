import { DomainError, ErrorCode, isDomainError } from '../common/domain-error';

/** HTTP status of an apiserver answer carried by a client-node ApiException, else undefined. */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
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

/**
 * Maps a client-node failure to a DomainError. Outages, 409 (conflict), 429 and 5xx are retryable
 * UpstreamUnavailable so the reconciler retries them like upstream faults; 401/403 name RBAC.
 */
export function toDomainError(e: unknown, what: string, details: Record<string, unknown>): DomainError {
  if (isDomainError(e)) return e;
  const status = statusOf(e);
  if (status === undefined) {
    const net = networkCode(e);
    if (net) {
      return new DomainError(
        ErrorCode.UpstreamUnavailable,
        `Kubernetes apiserver unreachable during ${what} (${net}); will retry`,
        { ...details, reason: net },
        true,
      );
    }
    return new DomainError(ErrorCode.Internal, `unexpected error during ${what}: ${(e as Error)?.message ?? e}`, details, false);
  }
  const message = apiMessage(e);
  if (status === 409 || status === 429 || status >= 500) {
    return new DomainError(
      ErrorCode.UpstreamUnavailable,
      `Kubernetes apiserver answered ${status} during ${what}: ${message}; will retry`,
      { ...details, status },
      true,
    );
  }
  if (status === 401 || status === 403) {
    return new DomainError(
      ErrorCode.UpstreamRejected,
      `Kubernetes refused ${what} (${status}): ${message}. Check the credentials of the cluster and that its RBAC lets svc-sentry ` +
        'get, list, create, patch and delete Secrets (server-side apply of a new Secret needs create) and, for rollout, list and patch Deployments in that namespace',
      { ...details, status },
      false,
    );
  }
  if (status === 404) {
    return new DomainError(
      ErrorCode.UpstreamRejected,
      `Kubernetes answered 404 during ${what}: ${message}. Does the namespace exist?`,
      { ...details, status },
      true,
    );
  }
  return new DomainError(ErrorCode.UpstreamRejected, `Kubernetes rejected ${what} (${status}): ${message}`, { ...details, status }, false);
}

/** Rejects after ms with a retryable timeout so a hung apiserver cannot stall a reconcile job. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string, details: Record<string, unknown>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DomainError(
            ErrorCode.UpstreamUnavailable,
            `Kubernetes apiserver did not answer ${what} within ${ms} ms; will retry`,
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
