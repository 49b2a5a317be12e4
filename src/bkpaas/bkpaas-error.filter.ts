import { Catch, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { bodyParserFailure, ProtocolErrorFilter } from '../common/protocol-errors';

/** BlueKing's error shape: `{code, detail}`; provider failures are 500 (the SDK's OperationFailed). */
export const BK_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.PlanNotFound]: 400,
  [ErrorCode.PlanConflict]: 400,
  [ErrorCode.Conflict]: 400,
  [ErrorCode.Unsupported]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InstanceNotFound]: 404,
  [ErrorCode.OperationNotFound]: 404,
  [ErrorCode.ConcurrencyError]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
};

export function bkError(e: unknown): { status: number; body: { code: string; detail: string } } {
  if (e instanceof DomainError) {
    return { status: BK_STATUS[e.code] ?? 500, body: { code: e.code, detail: e.message } };
  }
  const parse = bodyParserFailure(e);
  if (parse) return { status: parse.status, body: { code: parse.code, detail: parse.detail } };
  if (e instanceof HttpException) {
    const status = e.getStatus();
    return { status, body: { code: status === 404 ? 'RouteNotFound' : `Http${status}`, detail: e.message } };
  }
  return { status: 500, body: { code: ErrorCode.Internal, detail: 'Internal error; see the service logs.' } };
}

@Catch()
export class BkpaasErrorFilter extends ProtocolErrorFilter {
  protected readonly log = new Logger('bkpaas');
  protected readonly challenge = 'Bearer';
  protected answer = bkError;
}
