import { Catch, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { bodyParserFailure, ProtocolErrorFilter } from '../common/protocol-errors';

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.PlanNotFound]: 400,
  [ErrorCode.Unsupported]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 401,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InstanceNotFound]: 404,
  [ErrorCode.OperationNotFound]: 404,
  [ErrorCode.PlanConflict]: 409,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.NotOwned]: 409,
  [ErrorCode.ConcurrencyError]: 422,
  [ErrorCode.PayloadTooLarge]: 413,
};

/** OSB error bodies: `{error?, description}` (never an empty description, never Nest's "Bad Request"). */
export function osbAnswer(e: unknown): { status: number; body: Record<string, unknown> } {
  if (e instanceof DomainError) {
    const d = e.details ?? {};
    const status = typeof d.osbStatus === 'number' ? d.osbStatus : e.code === ErrorCode.ConcurrencyError ? 422 : (STATUS[e.code] ?? 500);
    const error = typeof d.osbError === 'string' ? d.osbError : e.code === ErrorCode.ConcurrencyError ? 'ConcurrencyError' : undefined;
    const body: Record<string, unknown> = {
      ...(error ? { error } : {}),
      description: status >= 500 && e.code === ErrorCode.Internal && !d.osbStatus ? 'Internal error; see the broker logs.' : e.message,
    };
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
  protected answer = osbAnswer;
}
