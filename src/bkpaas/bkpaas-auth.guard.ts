import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/config.schema';
import { JwtClient, parseJwtClients, verifyHs256 } from './jwt';

export const BK_PUBLIC = 'bkpaas:public';
export const BK_MUTATION = 'bkpaas:mutation';
/** No token needed (healthz; authenticate carries its own token). */
export const BkPublic = () => SetMetadata(BK_PUBLIC, true);
/** Changes state: needs role == internal_platform. */
export const BkMutation = () => SetMetadata(BK_MUTATION, true);
export const INTERNAL_PLATFORM = 'internal_platform';

export interface BkClient {
  iss: string;
  role: string | null;
}

/** `Authorization: Bearer <HS256 JWT>` signed by one of SVC_SENTRY_BKPAAS_JWT_CLIENTS (iss:key). */
@Injectable()
export class BkpaasAuthGuard implements CanActivate {
  private readonly clients: JwtClient[];

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.clients = parseJwtClients(config.bkpaas.jwtClients);
  }

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(BK_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; bkClient?: BkClient }>();
    req.bkClient = this.verify(req.headers.authorization);
    if (this.reflector.getAllAndOverride<boolean>(BK_MUTATION, targets) && req.bkClient.role !== INTERNAL_PLATFORM) {
      throw new DomainError(ErrorCode.Forbidden, `this call changes state and needs role "${INTERNAL_PLATFORM}"`);
    }
    return true;
  }

  verify(header: string | undefined): BkClient {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new DomainError(ErrorCode.Unauthorized, 'missing token: send "Authorization: Bearer <JWT>"');
    try {
      const t = verifyHs256(m[1], this.clients);
      return { iss: t.iss, role: t.role };
    } catch (e) {
      // The reason (expired, bad signature…) is safe to tell; the token and keys are never echoed.
      throw new DomainError(ErrorCode.Unauthorized, `token rejected: ${(e as Error).message}`);
    }
  }
}
