import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from './domain-error';

/** How one edge answers a body that is too large, in its own error shape. */
export interface SizeRule {
  /** path prefix (longest match wins); `/` is the default */
  prefix: string;
  maxBytes: number;
  body: (maxBytes: number) => { contentType: string; payload: unknown };
}

/**
 * Answers 413 at once, before any parser, guard or route, when a request declares a body larger than
 * its edge accepts (`Content-Length`, whatever the content type, authenticated or not). Without it a
 * request declaring 10 GB and sending 2 bytes waits until the client gives up. The connection is
 * closed after the answer, so the unread declared bytes are never waited for.
 */
export function declaredSizeGuard(rules: SizeRule[]) {
  const sorted = [...rules].sort((a, b) => b.prefix.length - a.prefix.length);
  return (req: Request, res: Response, next: NextFunction): void => {
    const raw = req.headers['content-length'];
    if (raw === undefined) return next();
    const declared = Number(raw);
    const path = req.path ?? req.url ?? '/';
    const rule = sorted.find((r) => path.startsWith(r.prefix));
    if (!rule || !Number.isFinite(declared) || declared <= rule.maxBytes) return next();
    const { contentType, payload } = rule.body(rule.maxBytes);
    res.status(413).setHeader('Connection', 'close');
    res.type(contentType).send(JSON.stringify(payload));
    res.on('finish', () => req.socket.destroySoon?.());
  };
}

export const problemTooLarge = (maxBytes: number) => ({
  contentType: 'application/problem+json',
  payload: {
    type: `urn:svc-sentry:problem:${ErrorCode.PayloadTooLarge}`,
    title: 'Payload Too Large',
    status: 413,
    detail: `The request declares a body larger than ${maxBytes} bytes.`,
    code: ErrorCode.PayloadTooLarge,
  },
});

const JSON_LIMIT = 1024 * 1024;

/** The size rules of every edge: REST and the legacy upload (problem+json), OSB (`{description}`), BlueKing (`{code, detail}`). */
export function edgeSizeGuard(opts: { bkpaasPrefix: string; legacyPath: string; legacyMaxBytes: number }) {
  const detail = (max: number) => `The request declares a body larger than ${max} bytes.`;
  return declaredSizeGuard([
    { prefix: '/', maxBytes: JSON_LIMIT, body: problemTooLarge },
    { prefix: opts.legacyPath, maxBytes: opts.legacyMaxBytes, body: problemTooLarge },
    { prefix: '/v2/', maxBytes: JSON_LIMIT, body: (max) => ({ contentType: 'application/json', payload: { description: detail(max) } }) },
    {
      prefix: opts.bkpaasPrefix.replace(/\/*$/, '/'),
      maxBytes: JSON_LIMIT,
      body: (max) => ({ contentType: 'application/json', payload: { code: ErrorCode.PayloadTooLarge, detail: detail(max) } }),
    },
  ]);
}

/** TRACE and TRACK are never served: 405 with the methods that are (not a 404 as for an unknown path). */
export function refuseTrace(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'TRACE' && req.method !== 'TRACK') return next();
  res.status(405).setHeader('Allow', 'GET, PUT, POST, PATCH, DELETE');
  res.type('application/problem+json').send(
    JSON.stringify({
      type: 'urn:svc-sentry:problem:MethodNotAllowed',
      title: 'Method Not Allowed',
      status: 405,
      detail: `${req.method} is not served.`,
      code: 'MethodNotAllowed',
    }),
  );
}
