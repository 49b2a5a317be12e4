import { TrackerCapabilities } from './capabilities';

export type { TrackerCapabilities } from './capabilities';

/** The DSNs of a key: the public form and the legacy `public:secret` form. */
export interface Dsn {
  public: string;
  secret: string;
}

export interface UpstreamProject {
  id: string;
  slug: string;
  teamSlugs: string[];
}

export interface UpstreamKey {
  id: string;
  name: string;
  isActive: boolean;
  dsn: Dsn;
}

export interface CreateProjectInput {
  team: string;
  slug: string;
  platform: string;
  defaultRules: boolean;
}

export interface TeamMembersChange {
  add: string[];
  remove: string[];
}

export interface TeamMembersResult {
  /** E-mails that were not members and now are: the only ones svc-sentry may later remove. */
  added: string[];
  removed: string[];
  /** E-mails to add that are not members of the organization (never invited). */
  notInOrganization: string[];
}

export interface CreateKeyInput {
  name: string;
  rateLimit?: { count: number; window: number };
}

/**
 * Port to an error tracker (Sentry SaaS or self-hosted, GlitchTip, Bugsink). Methods are safe to
 * repeat: create* returns `null` when the thing already exists (HTTP 409) so the caller can read
 * and decide whether to adopt it. Transient failures throw DomainError(UpstreamUnavailable|UpstreamRateLimited, retryable).
 */
export abstract class ErrorTracker {
  abstract readonly name: string;
  abstract readonly capabilities: TrackerCapabilities;

  /** Cheap reachability and credential check for /readyz. */
  abstract ping(): Promise<void>;

  abstract ensureTeam(slug: string): Promise<'created' | 'exists'>;
  /**
   * Changes the team's members by these e-mails only: adds `add` (organization members only; others are reported, never
   * invited) and removes `remove`; nobody else is touched. Reports who was actually added (not a member before) and removed.
   */
  abstract syncTeamMembers(team: string, change: TeamMembersChange): Promise<TeamMembersResult>;

  abstract getProject(slug: string): Promise<UpstreamProject | null>;
  /**
   * Every project of the organization (Bugsink: of the instance), following the upstream's pagination: what resync
   * compares the recorded projects with, instead of reading each one. An aborted `signal` stops it between pages.
   */
  abstract listProjects(signal?: AbortSignal): Promise<UpstreamProject[]>;
  abstract createProject(input: CreateProjectInput): Promise<UpstreamProject | null>;
  /** Schedules deletion (async upstream); absent is fine. */
  abstract deleteProject(slug: string): Promise<void>;

  abstract listKeys(project: string): Promise<UpstreamKey[]>;
  abstract getKey(project: string, keyId: string): Promise<UpstreamKey | null>;
  abstract createKey(project: string, input: CreateKeyInput): Promise<UpstreamKey>;
  /** Deletes a key svc-sentry created; absent is fine. */
  abstract deleteKey(project: string, keyId: string): Promise<void>;

  /** A link for humans to the project's page upstream. */
  abstract projectUrl(slug: string): string;

  /** Why a project is kept on deprovision when the upstream cannot delete it (null when it can). */
  keptProjectNote(): string | null {
    return this.capabilities.projectDelete ? null : `project kept: ${this.name} cannot delete projects through its API`;
  }
}
