/** JSON shapes answered by the stand-in (after the documented Sentry OpenAPI examples). */
import type { StandinStore } from './state';
import type { Key, Org, Project, Team } from './types';

export function orgView(org: Org, baseUrl: string): Record<string, unknown> {
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    dateCreated: org.dateCreated,
    status: { id: 'active', name: 'active' },
    isEarlyAdopter: false,
    require2FA: false,
    hasAuthProvider: false,
    allowMemberProjectCreation: true,
    avatar: { avatarType: 'letter_avatar', avatarUuid: null },
    links: { organizationUrl: baseUrl, regionUrl: baseUrl },
  };
}

export function teamView(team: Team): Record<string, unknown> {
  return {
    id: team.id,
    slug: team.slug,
    name: team.name,
    dateCreated: team.dateCreated,
    isMember: true,
    teamRole: 'admin',
    flags: { 'idp:provisioned': false },
    hasAccess: true,
    isPending: false,
    memberCount: team.members.length,
    avatar: { avatarType: 'letter_avatar', avatarUuid: null, avatarUrl: null },
  };
}

/** Organization member (also used for team member lists). */
export function memberView(store: StandinStore, org: string, email: string): Record<string, unknown> {
  const teams = store.teams(org).filter((t) => t.members.includes(email));
  return {
    id: store.memberId(org, email) ?? null,
    email,
    name: email,
    role: 'member',
    orgRole: 'member',
    pending: false,
    expired: false,
    teams: teams.map((t) => t.slug),
    teamRoles: teams.map((t) => ({ teamSlug: t.slug, role: null })),
  };
}

function teamRef(store: StandinStore, id: string): Record<string, unknown> | null {
  const t = store.teamById(id);
  return t ? { id: t.id, name: t.name, slug: t.slug } : null;
}

function firstEventAt(store: StandinStore, p: Project): string | null {
  const e = store.events.find((ev) => ev.projectId === p.id);
  return e ? new Date(e.receivedAt).toISOString() : null;
}

/** Project summary (create/list) — `id` is a string; no DSN. */
export function projectView(store: StandinStore, p: Project): Record<string, unknown> {
  const teams = p.teamIds.map((id) => teamRef(store, id)).filter((t) => t !== null);
  return {
    id: p.id,
    slug: p.slug,
    name: p.name,
    platform: p.platform,
    platforms: p.platform ? [p.platform] : [],
    dateCreated: p.dateCreated,
    isBookmarked: false,
    isMember: true,
    hasAccess: true,
    access: ['project:read', 'project:write', 'project:admin', 'event:read'],
    features: ['alert-filters', 'rate-limits'],
    firstEvent: firstEventAt(store, p),
    firstTransactionEvent: false,
    environments: [],
    hasSessions: false,
    hasMonitors: false,
    hasUserReports: false,
    latestRelease: null,
    team: teams[0] ?? null,
    teams,
  };
}

/** Project detail (GET/PUT) — the summary plus a few detail fields. */
export function projectDetailView(store: StandinStore, p: Project, org: Org, baseUrl: string): Record<string, unknown> {
  return {
    ...projectView(store, p),
    status: 'active',
    resolveAge: 0,
    organization: orgView(org, baseUrl),
    options: {},
  };
}

export function keyView(k: Key, baseUrl: string): Record<string, unknown> {
  const u = new URL(baseUrl);
  const host = u.host;
  const scheme = u.protocol.replace(':', '');
  const api = `${scheme}://${host}/api/${k.projectId}`;
  return {
    id: k.id,
    name: k.name,
    label: k.name,
    public: k.public,
    secret: k.secret,
    projectId: k.projectId,
    isActive: k.isActive,
    rateLimit: k.rateLimit,
    dsn: {
      secret: `${scheme}://${k.public}:${k.secret}@${host}/${k.projectId}`,
      public: `${scheme}://${k.public}@${host}/${k.projectId}`,
      csp: `${api}/csp-report/?sentry_key=${k.public}`,
      security: `${api}/security/?sentry_key=${k.public}`,
      minidump: `${api}/minidump/?sentry_key=${k.public}`,
      nel: `${api}/nel/?sentry_key=${k.public}`,
      unreal: `${api}/unreal/${k.public}/`,
      crons: `${api}/crons/___MONITOR_SLUG___/${k.public}/`,
      cdn: `${scheme}://${host}/js-sdk-loader/${k.public}.min.js`,
      playstation: `${api}/playstation/?sentry_key=${k.public}`,
      integration: `${api}/integration/`,
      otlp_traces: `${api}/integration/otlp/v1/traces`,
      otlp_logs: `${api}/integration/otlp/v1/logs`,
    },
    browserSdkVersion: 'latest',
    browserSdk: { choices: [['latest', 'latest']] },
    dateCreated: k.dateCreated,
    useCase: k.useCase,
    dynamicSdkLoaderOptions: { hasReplay: true, hasPerformance: true, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: false },
  };
}
