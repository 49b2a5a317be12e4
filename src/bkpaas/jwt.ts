import { createHmac, timingSafeEqual } from 'node:crypto';

/** HS256 JSON Web Tokens as BlueKing's remote-service protocol uses them (node:crypto only). */

export interface JwtClient {
  iss: string;
  key: string;
}

export interface VerifiedToken {
  iss: string;
  role: string | null;
  claims: Record<string, unknown>;
}

export type JwtFailure = 'malformed' | 'algorithm' | 'issuer' | 'signature' | 'expired';

export class JwtError extends Error {
  constructor(
    readonly reason: JwtFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const hmac = (key: string, data: string) => createHmac('sha256', key).update(data).digest();

export function signHs256(claims: Record<string, unknown>, key: string): string {
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify(claims));
  return `${head}.${body}.${hmac(key, `${head}.${body}`).toString('base64url')}`;
}

function decodePart(part: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new JwtError('malformed', 'token is not base64url');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed', 'token part is not JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new JwtError('malformed', 'token part is not a JSON object');
  return v as Record<string, unknown>;
}

/**
 * Verifies an HS256 token against the client named by its `iss` claim: the signature (timing-safe),
 * then `expires_at` (unix seconds; BlueKing's claim) or the standard `exp`. Tokens without an
 * expiry are refused. `nowSeconds` is injectable for tests.
 */
export function verifyHs256(token: string, clients: JwtClient[], nowSeconds = Date.now() / 1000): VerifiedToken {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !p)) throw new JwtError('malformed', 'token must have three parts');
  const header = decodePart(parts[0]);
  if (header.alg !== 'HS256') throw new JwtError('algorithm', 'only HS256 tokens are accepted');
  const claims = decodePart(parts[1]);
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  const candidates = clients.filter((c) => c.iss === iss);
  if (!candidates.length) throw new JwtError('issuer', 'unknown token issuer');
  const given = Buffer.from(parts[2], 'base64url');
  const signed = `${parts[0]}.${parts[1]}`;
  // Several keys per issuer are allowed (key rotation); every one is compared.
  const ok = candidates.map((c) => {
    const want = hmac(c.key, signed);
    return given.length === want.length && timingSafeEqual(given, want);
  });
  if (!ok.includes(true)) throw new JwtError('signature', 'token signature does not match');
  const expiry = typeof claims.expires_at === 'number' ? claims.expires_at : typeof claims.exp === 'number' ? claims.exp : null;
  if (expiry === null) throw new JwtError('expired', 'token has no expires_at');
  if (expiry <= nowSeconds) throw new JwtError('expired', 'token has expired');
  return { iss, role: typeof claims.role === 'string' ? claims.role : null, claims };
}

/** `iss:key` pairs, comma-separated (SVC_SENTRY_BKPAAS_JWT_CLIENTS); the key may itself contain ':'. */
export function parseJwtClients(entries: string[]): JwtClient[] {
  return entries.map((e) => {
    const i = e.indexOf(':');
    return { iss: e.slice(0, i).trim(), key: e.slice(i + 1).trim() };
  });
}
