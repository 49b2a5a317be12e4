import { createHash } from 'node:crypto';

/** DNS-1123 label: what app, module and environment names must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const isDnsLabel = (s: unknown): s is string => typeof s === 'string' && s.length <= 63 && DNS_LABEL.test(s);

export const MAX_SLUG = 50;

/**
 * Upstream slug: [a-z0-9_-], not all digits, <= 50 chars. Longer names are cut and get a 6-char
 * hash of the full name, so the same input always gives the same slug (a retry finds the first try's work).
 */
export function upstreamSlug(...parts: string[]): string {
  const full = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-');
  let slug = full;
  if (slug.length > MAX_SLUG) {
    const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
    slug = `${full.slice(0, MAX_SLUG - 7).replace(/-+$/, '')}-${hash}`;
  }
  return /^[0-9]+$/.test(slug) ? `x${slug}`.slice(0, MAX_SLUG) : slug;
}

export const teamSlug = (app: string) => upstreamSlug(app);
export const projectSlug = (app: string, module: string, env: string) => upstreamSlug(app, module, env);

/** The name svc-sentry gives the client keys it creates; it marks a key as ours even before its id is recorded. */
export const ownedKeyName = (instanceId: string, purpose = 'primary') => `svc-sentry:${purpose}:${instanceId}`;
