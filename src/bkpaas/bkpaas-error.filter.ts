import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '../common/domain-error';

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
  const t = (e as { type?: string })?.type;
  if (t === 'entity.parse.failed' || t === 'encoding.unsupported') return { status: 400, body: { code: 'MalformedJson', detail: 'The request body is not valid JSON.' } };
  if (t === 'entity.too.large') return { status: 413, body: { code: ErrorCode.PayloadTooLarge, detail: 'The request body is too large.' } };
  if (e instanceof HttpException) {
    const status = e.getStatus();
    return { status, body: { code: status === 404 ? 'RouteNotFound' : `Http${status}`, detail: e.message } };
  }
  return { status: 500, body: { code: ErrorCode.Internal, detail: 'Internal error; see the service logs.' } };
}

@Catch()
export class BkpaasErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('bkpaas');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = bkError(e);
    if (status >= 500) this.log.error(e instanceof DomainError ? `${e.code}: ${e.message}` : e instanceof Error ? e.stack ?? e.message : String(e));
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(status).json(body);
  }
}
