import { ArgumentsHost, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorCode } from './domain-error';

/** A body-parser failure (malformed JSON, unsupported encoding, too large), classified once for every protocol. */
export function bodyParserFailure(e: unknown): { status: number; code: string; detail: string } | null {
  const type = (e as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported')
    return { status: 400, code: 'MalformedJson', detail: 'The request body is not valid JSON.' };
  if (type === 'entity.too.large') return { status: 413, code: ErrorCode.PayloadTooLarge, detail: 'The request body is too large.' };
  return null;
}

/**
 * The edge of one protocol: maps any error to that protocol's status and body, logs server-side
 * failures, and sends the auth challenge on 401. Subclasses say only how to map.
 */
export abstract class ProtocolErrorFilter implements ExceptionFilter {
  protected abstract readonly log: Logger;
  /** `WWW-Authenticate` value on 401. */
  protected abstract readonly challenge: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each protocol reads its own request shape
  protected abstract answer(e: unknown, req?: any): { status: number; body: unknown };

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.answer(e, host.switchToHttp().getRequest());
    if (status >= 500) this.log.error(e instanceof DomainError ? `${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (status === 401) res.setHeader('WWW-Authenticate', this.challenge);
    res.status(status).json(body);
  }
}
