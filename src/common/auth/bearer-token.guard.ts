import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/config.schema';
import { DomainError, ErrorCode } from '../domain-error';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** REST API auth: `Authorization: Bearer <token>` with one of SVC_SENTRY_API_TOKENS. */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly tokens: Buffer[];

  constructor(config: AppConfig) {
    this.tokens = config.apiTokens.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!this.tokens.length) {
      throw new DomainError(
        ErrorCode.Unauthorized,
        'No API tokens are configured, so every request is refused: set SVC_SENTRY_API_TOKENS (comma-separated, 8+ characters each).',
      );
    }
    if (!match) throw new DomainError(ErrorCode.Unauthorized, 'Missing bearer token: send "Authorization: Bearer <token>".');
    const given = digest(match[1]);
    const index = this.tokens.findIndex((t) => timingSafeEqual(t, given));
    if (index < 0) throw new DomainError(ErrorCode.Unauthorized, 'The bearer token is not accepted.');
    // The caller is identified in the audit trail by which token it used, never by the token itself.
    req.user = { kind: 'api-token', id: `token-${index + 1}` };
    return true;
  }
}
