import { DomainError, ErrorCode } from '../common/domain-error';

/** Provision `params` as BlueKing renders them from the endpoint's template, mapped to (app, module, env). */
export interface BkTarget {
  app: string;
  module: string;
  env: string;
  engineAppName: string | null;
  region: string | null;
  developers: string[] | null;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** BlueKing codes may hold "_" (e.g. bk_sops); names upstream and in Kubernetes are DNS labels. */
export const toLabel = (s: string) => s.toLowerCase().replace(/_/g, '-');

export function parseBkParams(raw: unknown, environments: string[], emailDomain: string | undefined): BkTarget {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DomainError(ErrorCode.InvalidInput, '"params" must be an object');
  const p = raw as Record<string, unknown>;
  const code = str(p.application_code) ?? str(p.app_code);
  const problems: string[] = [];
  if (!code) problems.push('params.application_code (or app_code) is required');
  const env = str(p.env_name) ?? str(p.env) ?? str(p.environment);
  if (!env) problems.push('params.env_name is required');
  else if (!environments.includes(env)) problems.push(`params.env_name "${env}" is not one of ${environments.join(', ')}`);
  const developers = developersOf(p.app_developers, emailDomain, problems);
  if (problems.length) throw new DomainError(ErrorCode.InvalidInput, problems.join('; '), { errors: problems });
  return {
    app: toLabel(code!),
    module: toLabel(str(p.module_name) ?? str(p.module) ?? 'default'),
    env: env!,
    engineAppName: str(p.engine_app_name),
    region: str(p.region),
    developers,
  };
}

/**
 * `app_developers`: a list (or its JSON text, as templates render it) of BlueKing usernames or
 * e-mails. Usernames become `<name>@<domain>` when a domain is configured; otherwise they cannot
 * be matched to upstream members and are left out.
 */
export function developersOf(raw: unknown, emailDomain: string | undefined, problems: string[] = []): string[] | null {
  if (raw === undefined || raw === null) return null;
  let list = raw;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw);
    } catch {
      list = raw.split(',');
    }
  }
  if (!Array.isArray(list) || list.some((d) => typeof d !== 'string')) {
    problems.push('params.app_developers must be a list of usernames');
    return null;
  }
  const out = new Set<string>();
  for (const d of list as string[]) {
    const name = d.trim().toLowerCase();
    if (!name) continue;
    if (name.includes('@')) out.add(name);
    else if (emailDomain) out.add(`${name}@${emailDomain.toLowerCase()}`);
  }
  return [...out].sort();
}
