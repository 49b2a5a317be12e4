import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '../common/domain-error';

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
    const status = typeof d.osbStatus === 'number' ? d.osbStatus : e.code === ErrorCode.ConcurrencyError ? 422 : STATUS[e.code] ?? 500;
    const error = typeof d.osbError === 'string' ? d.osbError : e.code === ErrorCode.ConcurrencyError ? 'ConcurrencyError' : undefined;
    const body: Record<string, unknown> = { ...(error ? { error } : {}), description: status >= 500 && e.code === ErrorCode.Internal && !d.osbStatus ? 'Internal error; see the broker logs.' : e.message };
    for (const k of ['instance_usable', 'update_repeatable']) if (typeof d[k] === 'boolean') body[k] = d[k];
    return { status, body };
  }
  const t = (e as { type?: string })?.type;
  if (t === 'entity.parse.failed' || t === 'encoding.unsupported') return { status: 400, body: { description: 'The request body is not valid JSON.' } };
  if (t === 'entity.too.large') return { status: 413, body: { description: 'The request body is too large.' } };
  if (e instanceof HttpException) return { status: e.getStatus(), body: { description: e.message || `HTTP ${e.getStatus()}` } };
  return { status: 500, body: { description: 'Internal error; see the broker logs.' } };
}

@Catch()
export class OsbErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('osb');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = osbAnswer(e);
    if (status >= 500) this.log.error(e instanceof DomainError ? `${e.code}: ${e.message}` : e instanceof Error ? e.stack ?? e.message : String(e));
    if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="svc-sentry broker"');
    res.status(status).json(body);
  }
}
