import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/config.schema';
import { DomainError, ErrorCode } from '../common/domain-error';
import { badRequest } from './osb-errors';
import { negotiateVersion } from './version';

export interface OsbContext {
  /** negotiated minor version (13..17) */
  minor: number;
  username: string;
  originatingIdentity: Record<string, unknown> | null;
}

export type OsbRequest = Request & { osb?: OsbContext };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Checks in the order conformance checkers expect: Basic auth (401), then the version header (412),
 * then the originating identity header (400). Echoes X-Broker-API-Request-Identity first, so even
 * errors carry it. Used by the guard and by the body parser's error path (a malformed body of an
 * unauthenticated request still gets 401).
 */
export function preflight(req: Request, res: Response, config: AppConfig): OsbContext {
  const rid = req.headers['x-broker-api-request-identity'];
  if (typeof rid === 'string' && rid.trim()) res.setHeader('X-Broker-API-Request-Identity', rid);
  const username = checkBasic(req.headers.authorization, config);
  const minor = negotiateVersion(req.headers['x-broker-api-version']);
  if (minor === null) throw new DomainError(ErrorCode.UnsupportedVersion, 'X-Broker-API-Version must be 2.13 to 2.17.');
  return { minor, username, originatingIdentity: parseIdentity(req.headers['x-broker-api-originating-identity']) };
}

function checkBasic(header: string | undefined, config: AppConfig): string {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  const { username, password } = config.osb;
  if (m && password) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const [u, p] = i < 0 ? [decoded, ''] : [decoded.slice(0, i), decoded.slice(i + 1)];
    // Both compared every time, on digests of equal length.
    const okUser = timingSafeEqual(digest(u), digest(username));
    const okPass = timingSafeEqual(digest(p), digest(password));
    if (okUser && okPass) return u;
  }
  throw new DomainError(ErrorCode.Unauthorized, 'Basic authentication with the broker credentials is required.');
}

/** `<platform> <base64(JSON)>` → {platform, ...value}; malformed → 400. */
export function parseIdentity(header: string | string[] | undefined): Record<string, unknown> | null {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw === '') return null;
  const m = /^\s*(\S+)\s+([A-Za-z0-9+/=_-]+)\s*$/.exec(raw);
  let value: unknown;
  try {
    value = m ? JSON.parse(Buffer.from(m[2], 'base64').toString('utf8')) : undefined;
  } catch {
    value = undefined;
  }
  if (!m || !value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('X-Broker-API-Originating-Identity must be "<platform> <base64 of a JSON object>".');
  }
  return { platform: m[1], ...(value as Record<string, unknown>) };
}

@Injectable()
export class OsbGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const http = ctx.switchToHttp();
    const req = http.getRequest<OsbRequest>();
    req.osb = preflight(req, http.getResponse<Response>(), this.config);
    return true;
  }
}
