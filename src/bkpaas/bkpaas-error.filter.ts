import { Catch, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { bodyParserFailure, ProtocolErrorFilter } from '../common/protocol-errors';

/**
 * BlueKing's error shape: `{code, detail}`. The SDK's ArgumentInvalidError is 400 and OperationFailed is
 * 500; 404 on an instance means "recycled" to BlueKing's collector. Every code is mapped (a code missing
 * here fails to compile).
 */
export const BK_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.PlanNotFound]: 400,
  [ErrorCode.PlanConflict]: 400,
  [ErrorCode.Conflict]: 400,
  [ErrorCode.NotOwned]: 400,
  [ErrorCode.Unsupported]: 400,
  [ErrorCode.UnsupportedChange]: 400,
  [ErrorCode.UnsupportedVersion]: 400,
  [ErrorCode.AsyncRequired]: 400,
  [ErrorCode.MaintenanceInfoConflict]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InstanceNotFound]: 404,
  [ErrorCode.OperationNotFound]: 404,
  [ErrorCode.Gone]: 404,
  [ErrorCode.ConcurrencyError]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.OperationFailed]: 500,
  [ErrorCode.Timeout]: 500,
  [ErrorCode.UpstreamNotConfigured]: 500,
  [ErrorCode.UpstreamUnavailable]: 500,
  [ErrorCode.UpstreamRejected]: 500,
  [ErrorCode.UpstreamRateLimited]: 500,
  [ErrorCode.ClusterUnavailable]: 500,
  [ErrorCode.ClusterRejected]: 500,
  [ErrorCode.DatabaseUnavailable]: 500,
  [ErrorCode.Internal]: 500,
};

export function bkError(e: unknown): { status: number; body: { code: string; detail: string } } {
  if (e instanceof DomainError) {
    return { status: BK_STATUS[e.code], body: { code: e.code, detail: e.code === ErrorCode.Internal ? 'Internal error; see the service logs.' : e.message } };
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
