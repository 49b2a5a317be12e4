import { createHash } from 'node:crypto';
import { DomainError, ErrorCode } from '../common/domain-error';

/** Provision `params` as BlueKing renders them from the endpoint's template, mapped to (app, module, env). */
export interface BkTarget {
  app: string;
  module: string;
  env: string;
  /** the BlueKing app code as sent (before normalising) */
  code: string;
  engineAppName: string | null;
  region: string | null;
  /** null = unknown or unresolvable: team members are left alone */
  developers: string[] | null;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);

/**
 * BlueKing codes may hold "_" (e.g. bk_sops); names upstream and in Kubernetes are DNS labels. A code
 * that is a DNS label already keeps its name; one that normalising changes gets a short hash of the
 * original, so `bk_demo` and `bk-demo` (both legal codes) never share a slug.
 */
export function toLabel(s: string): string {
  const label = s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (label === s) return s;
  const hash = createHash('sha256').update(s).digest('hex').slice(0, 6);
  return `${label.slice(0, 63 - 7).replace(/-+$/, '')}-${hash}`;
}

/** The template an operator adds when BlueKing's engine app name alone cannot be read (single braces: BlueKing's str.format). */
export const BK_TEMPLATE_HINT =
  'add to the endpoint\'s provision_params_tmpl: "application_code": "{application.code}", "module_name": "{module.name}", "env_name": "{env.environment}"';

/**
 * BlueKing names engine apps `bkapp-{code}-{env}` for the default module and `bkapp-{code}-m-{module}-{env}`
 * for the others (apiserver `make_engine_app_name`). Read back only where that is unambiguous: a name
 * holding `-m-` once could also be a default-module app whose code contains `-m-`, so such names are
 * read only when a code is given that tells the two apart.
 */
export function parseEngineAppName(name: string, environments: string[], code?: string | null): { code: string; module: string; env: string } | null {
  const m = /^bkapp-(.+)-([a-z0-9]+)$/.exec(name);
  if (!m || !environments.includes(m[2])) return null;
  const [, middle, env] = m;
  if (code) {
    if (middle === code) return { code, module: 'default', env };
    if (middle.startsWith(`${code}-m-`) && middle.length > code.length + 3) return { code, module: middle.slice(code.length + 3), env };
    return null;
  }
  if (middle.includes('-m-')) return null;
  return { code: middle, module: 'default', env };
}

export function parseBkParams(raw: unknown, environments: string[], emailDomain: string | undefined): BkTarget {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DomainError(ErrorCode.InvalidInput, '"params" must be an object');
  const p = raw as Record<string, unknown>;
  const engineAppName = str(p.engine_app_name);
  let code = str(p.application_code) ?? str(p.app_code);
  let module = str(p.module_name) ?? str(p.module);
  let env = str(p.env_name) ?? str(p.env) ?? str(p.environment);
  const problems: string[] = [];
  if (engineAppName && (!code || !env || !module)) {
    // BlueKing's default template sends only {engine_app_name, operator}: read the rest from the name.
    const parsed = parseEngineAppName(engineAppName, environments, code);
    if (parsed) {
      code ??= parsed.code;
      env ??= parsed.env;
      module ??= parsed.module;
    } else if (!code || !env) {
      problems.push(`params.engine_app_name "${engineAppName}" does not tell the app code, module and environment apart; ${BK_TEMPLATE_HINT}`);
    }
  }
  if (!problems.length) {
    if (!code) problems.push(`params.application_code (or app_code) is required; ${BK_TEMPLATE_HINT}`);
    if (!env) problems.push(`params.env_name is required; ${BK_TEMPLATE_HINT}`);
    else if (!environments.includes(env)) problems.push(`params.env_name "${env}" is not one of ${environments.join(', ')}`);
  }
  const developers = developersOf(p.app_developers, emailDomain, problems);
  if (problems.length) throw new DomainError(ErrorCode.InvalidInput, problems.join('; '), { errors: problems });
  return {
    app: toLabel(code!),
    module: toLabel(module ?? 'default'),
    env: env!,
    code: code!,
    engineAppName,
    region: str(p.region),
    developers,
  };
}

/**
 * `app_developers`: a list (or its JSON text, as BlueKing renders `{app_developers}`) of BlueKing
 * usernames or e-mails. Usernames become `<name>@<domain>` when a domain is configured. A list that
 * is empty, or holds a username that cannot be turned into an e-mail (no domain), says nothing
 * reliable about the team: it gives null, and members are left alone.
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
    else return null;
  }
  return out.size ? [...out].sort() : null;
}
