import { Catch, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { bodyParserFailure, ProtocolErrorFilter } from '../common/protocol-errors';
import { OsbContext } from './osb-auth';
import { since } from './version';

/** OSB error codes with a fixed meaning (all 422). */
export type OsbCode = 'AsyncRequired' | 'ConcurrencyError' | 'MaintenanceInfoConflict' | 'RequiresApp';

/** Every domain code → the OSB status (and the spec's `error` word where it has one). A code missing here fails to compile. */
export const OSB_ERRORS: Record<ErrorCode, { status: number; error?: OsbCode }> = {
  [ErrorCode.InvalidInput]: { status: 400 },
  [ErrorCode.PlanNotFound]: { status: 400 },
  [ErrorCode.Unsupported]: { status: 400 },
  [ErrorCode.Unauthorized]: { status: 401 },
  [ErrorCode.Forbidden]: { status: 401 },
  [ErrorCode.NotFound]: { status: 404 },
  [ErrorCode.InstanceNotFound]: { status: 404 },
  [ErrorCode.OperationNotFound]: { status: 404 },
  [ErrorCode.Gone]: { status: 410 },
  [ErrorCode.PlanConflict]: { status: 409 },
  [ErrorCode.Conflict]: { status: 409 },
  [ErrorCode.NotOwned]: { status: 409 },
  [ErrorCode.UnsupportedVersion]: { status: 412 },
  [ErrorCode.PayloadTooLarge]: { status: 413 },
  [ErrorCode.ConcurrencyError]: { status: 422, error: 'ConcurrencyError' },
  [ErrorCode.AsyncRequired]: { status: 422, error: 'AsyncRequired' },
  [ErrorCode.MaintenanceInfoConflict]: { status: 422, error: 'MaintenanceInfoConflict' },
  [ErrorCode.UnsupportedChange]: { status: 422 },
  [ErrorCode.OperationFailed]: { status: 500 },
  [ErrorCode.Timeout]: { status: 500 },
  [ErrorCode.Internal]: { status: 500 },
  [ErrorCode.UpstreamNotConfigured]: { status: 500 },
  [ErrorCode.UpstreamUnavailable]: { status: 500 },
  [ErrorCode.UpstreamRejected]: { status: 500 },
  [ErrorCode.UpstreamRateLimited]: { status: 500 },
  [ErrorCode.ClusterUnavailable]: { status: 500 },
  [ErrorCode.ClusterRejected]: { status: 500 },
  [ErrorCode.DatabaseUnavailable]: { status: 500 },
};

/**
 * OSB error bodies: `{error?, description}` (never an empty description, never Nest's "Bad Request").
 * `update_repeatable` (a 2.16 field) only appears at 2.16 and later; without a negotiated version
 * (auth or version-header failures) no version-dependent field is sent.
 */
export function osbAnswer(e: unknown, minor?: number): { status: number; body: Record<string, unknown> } {
  if (e instanceof DomainError) {
    const { status, error } = OSB_ERRORS[e.code];
    const body: Record<string, unknown> = {
      ...(error ? { error } : {}),
      description: e.code === ErrorCode.Internal ? 'Internal error; see the broker logs.' : e.message,
    };
    const d = e.details ?? {};
    if (minor !== undefined && since(minor, 'usableRepeatable'))
      for (const k of ['instance_usable', 'update_repeatable']) if (typeof d[k] === 'boolean') body[k] = d[k];
    return { status, body };
  }
  const parse = bodyParserFailure(e);
  if (parse) return { status: parse.status, body: { description: parse.detail } };
  if (e instanceof HttpException) return { status: e.getStatus(), body: { description: e.message || `HTTP ${e.getStatus()}` } };
  return { status: 500, body: { description: 'Internal error; see the broker logs.' } };
}

@Catch()
export class OsbErrorFilter extends ProtocolErrorFilter {
  protected readonly log = new Logger('osb');
  protected readonly challenge = 'Basic realm="svc-sentry broker"';
  protected answer = (e: unknown, req?: { osb?: OsbContext }) => osbAnswer(e, req?.osb?.minor);
}
