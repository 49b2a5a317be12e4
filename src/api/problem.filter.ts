import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { bodyParserFailure } from '../common/protocol-errors';

/** Every domain code → its REST status (a code missing here fails to compile). */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.PlanNotFound]: 400,
  [ErrorCode.Unsupported]: 415,
  [ErrorCode.UnsupportedVersion]: 400,
  [ErrorCode.AsyncRequired]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InstanceNotFound]: 404,
  [ErrorCode.OperationNotFound]: 404,
  [ErrorCode.PlanConflict]: 409,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.ConcurrencyError]: 409,
  [ErrorCode.NotOwned]: 409,
  [ErrorCode.MaintenanceInfoConflict]: 409,
  [ErrorCode.Gone]: 410,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.UnsupportedChange]: 422,
  [ErrorCode.Internal]: 500,
  [ErrorCode.OperationFailed]: 500,
  [ErrorCode.UpstreamRejected]: 502,
  [ErrorCode.ClusterRejected]: 502,
  [ErrorCode.UpstreamNotConfigured]: 503,
  [ErrorCode.UpstreamUnavailable]: 503,
  [ErrorCode.UpstreamRateLimited]: 503,
  [ErrorCode.ClusterUnavailable]: 503,
  [ErrorCode.DatabaseUnavailable]: 503,
  [ErrorCode.Timeout]: 504,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: unknown;
}

export const problemType = (code: string) => `urn:svc-sentry:problem:${code}`;

/** Maps every error at the REST edge to RFC 9457 application/problem+json with a stable `code`. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse();
    if (e instanceof HttpException && typeof e.getResponse() === 'object' && (e.getResponse() as { details?: unknown }).details) {
      // Terminus readiness: keep its body, which names each dependency and whether it is up.
      res.status(e.getStatus()).json(e.getResponse());
      return;
    }
    const p = toProblem(e);
    if (p.status >= 500) this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (p.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
  }
}

export function toProblem(e: unknown): Problem {
  if (e instanceof DomainError) {
    const status = STATUS_BY_CODE[e.code];
    return {
      type: problemType(e.code),
      title: TITLES[status] ?? 'Error',
      status,
      detail: e.message,
      code: e.code,
      ...(e.details?.errors ? { errors: e.details.errors } : {}),
    };
  }
  if (e instanceof HttpException) {
    const status = e.getStatus();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's HttpException body is a string or any object
    const body = e.getResponse() as any;
    const raw = typeof body === 'string' ? body : (body?.message ?? e.message);
    const detail = Array.isArray(raw) ? raw.join('; ') : String(raw);
    const code = status === 404 ? 'RouteNotFound' : status === 413 ? ErrorCode.PayloadTooLarge : status === 400 ? ErrorCode.InvalidInput : `Http${status}`;
    return { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code };
  }
  const parse = bodyParserFailure(e);
  if (parse) return { type: problemType(parse.code), title: TITLES[parse.status], status: parse.status, detail: parse.detail, code: parse.code };
  return { type: problemType(ErrorCode.Internal), title: TITLES[500], status: 500, detail: 'Internal error; see the service logs.', code: ErrorCode.Internal };
}

/** Express error middleware for body-parser failures, which happen before Nest's filters can see their type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an Express error middleware (express types stay out of this signature)
export function bodyParserProblems(err: unknown, _req: unknown, res: any, next: (e?: unknown) => void): void {
  if (!bodyParserFailure(err)) return next(err);
  const p = toProblem(err);
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}
