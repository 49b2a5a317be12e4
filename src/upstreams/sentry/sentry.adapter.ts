import { DomainError, ErrorCode } from '../../common/domain-error';
import { UpstreamConfig } from '../../config/config.schema';
import {
  CreateKeyInput,
  CreateProjectInput,
  ErrorTracker,
  TeamMembersChange,
  TeamMembersResult,
  TrackerCapabilities,
  UpstreamKey,
  UpstreamProject,
} from '../error-tracker.port';
import { HttpResponse, UpstreamHttp } from '../http-client';
import { limiterFor } from '../rate-limiter';
import { CAPABILITIES } from '../capabilities';

const TEAM_MEMO_MS = 5 * 60_000;
/** Pages followed when listing an organization's projects: 1,000,000 projects at 100 a page. */
export const LIST_MAX_PAGES = 10_000;

export interface SentryKeyBody {
  id: string;
  name: string;
  isActive: boolean;
  dsn: { public: string; secret: string };
}

/**
 * Sentry (SaaS or self-hosted) through its Web API `/api/0/`: bearer token, region base from the
 * organization's `links.regionUrl`, `Link` pagination, per-organization pacing and 429 back-off,
 * 409 = already exists, async project delete (204).
 */
export class SentryTracker extends ErrorTracker {
  readonly capabilities: TrackerCapabilities = CAPABILITIES.sentry;
  readonly name: string;
  protected readonly http: UpstreamHttp;
  /**
   * The same client without in-call retries of transient faults, for calls that are not idempotent: a POST
   * the upstream applied but whose answer was lost (502, timeout) must not be sent again blindly — that made a
   * second key. The error goes to the reconciler, whose retry looks the key up by name first.
   */
  protected readonly httpOnce: UpstreamHttp;
  protected readonly base: string;
  private region?: Promise<string>;
  protected readonly teams = new Map<string, { at: number; result: Promise<'created' | 'exists'> }>();

  constructor(protected readonly cfg: UpstreamConfig) {
    super();
    this.name = cfg.name;
    this.base = cfg.url.replace(/\/+$/, '');
    const options = { upstream: cfg.name, token: cfg.token, timeoutMs: cfg.timeoutMs, limiter: limiterFor(`${this.base}|${cfg.org}`, cfg.rateLimitPerSecond) };
    this.http = new UpstreamHttp(options);
    this.httpOnce = new UpstreamHttp({ ...options, attempts: 1 });
  }

  protected get org() {
    return encodeURIComponent(this.cfg.org);
  }

  /** The API base of the organization's region (`links.regionUrl`), resolved once. */
  protected api(): Promise<string> {
    this.region ??= (async () => {
      const url = `${this.base}/api/0/organizations/${this.org}/`;
      const res = await this.http.request('GET', url);
      if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
      const regionUrl = typeof res.body?.links?.regionUrl === 'string' ? res.body.links.regionUrl : this.base;
      return `${regionUrl.replace(/\/+$/, '')}/api/0`;
    })().catch((e) => {
      this.region = undefined;
      throw e;
    });
    return this.region;
  }

  /** One API call; `{ once: true }` for a call that must not be re-sent after a transient fault (see httpOnce). */
  protected async call(method: string, path: string, body?: unknown, opts: { once?: boolean } = {}): Promise<{ res: HttpResponse; url: string }> {
    const url = `${await this.api()}${path}`;
    return { res: await (opts.once ? this.httpOnce : this.http).request(method, url, body), url };
  }

  async ping(): Promise<void> {
    this.region = undefined;
    await this.api();
  }

  /**
   * Teams are shared by every module and environment of an app: concurrent and repeated asks for
   * the same team within a few minutes share one upstream call.
   */
  ensureTeam(slug: string): Promise<'created' | 'exists'> {
    const known = this.teams.get(slug);
    if (known && Date.now() - known.at < TEAM_MEMO_MS) return known.result;
    const result = this.createTeam(slug);
    this.teams.set(slug, { at: Date.now(), result });
    result.catch(() => this.teams.delete(slug));
    return result;
  }

  protected async createTeam(slug: string): Promise<'created' | 'exists'> {
    const { res, url } = await this.call('POST', `/organizations/${this.org}/teams/`, { slug });
    if (res.status === 201) return 'created';
    // Sentry documents 404 "A team with this slug already exists" but answers 409: both mean "exists".
    if (res.status === 409 || (res.status === 404 && /already exists/i.test(res.body?.detail ?? ''))) return 'exists';
    UpstreamHttp.fail(this.name, 'POST', url, res);
  }

  /**
   * Team membership through Sentry's member endpoints: team members are organization members, so a developer who is not
   * in the organization yet is reported, never invited. Only the given e-mails are touched: `add` are added when missing
   * (and reported as added only then), `remove` are removed when present.
   */
  async syncTeamMembers(team: string, change: TeamMembersChange): Promise<TeamMembersResult> {
    const api = await this.api();
    const current = await this.http.paginate<{ id: string; email: string }>(`${api}/teams/${this.org}/${encodeURIComponent(team)}/members/`);
    const have = new Map(current.filter((m) => typeof m?.email === 'string').map((m) => [m.email.toLowerCase(), String(m.id)]));
    const membership = (memberId: string) => `/organizations/${this.org}/members/${encodeURIComponent(memberId)}/teams/${encodeURIComponent(team)}/`;
    const result: TeamMembersResult = { added: [], removed: [], notInOrganization: [] };
    for (const email of new Set(change.add.map((e) => e.toLowerCase()))) {
      if (have.has(email)) continue;
      const member = await this.orgMember(api, email);
      if (!member) {
        result.notInOrganization.push(email);
        continue;
      }
      const { res, url } = await this.call('POST', membership(String(member.id)));
      if (res.status >= 300 && res.status !== 409) UpstreamHttp.fail(this.name, 'POST', url, res);
      // 201 = added now; 204/409 = it was a member already (added meanwhile by someone else): not ours.
      if (res.status === 201 || res.status === 200) result.added.push(email);
    }
    for (const email of new Set(change.remove.map((e) => e.toLowerCase()))) {
      const id = have.get(email);
      if (!id) continue;
      const { res, url } = await this.call('DELETE', membership(id));
      if (res.status >= 300 && res.status !== 404) UpstreamHttp.fail(this.name, 'DELETE', url, res);
      result.removed.push(email);
    }
    return result;
  }

  /** The organization member with this e-mail (Sentry's `?query=email:` search). */
  protected async orgMember(api: string, email: string): Promise<{ id: string; email: string } | undefined> {
    const found = await this.http.paginate<{ id: string; email: string }>(
      `${api}/organizations/${this.org}/members/?query=${encodeURIComponent(`email:${email}`)}`,
    );
    return found.find((m) => m.email?.toLowerCase() === email);
  }

  async getProject(slug: string): Promise<UpstreamProject | null> {
    const { res, url } = await this.call('GET', `/projects/${this.org}/${encodeURIComponent(slug)}/`);
    if (res.status === 404) return null;
    if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
    return toProject(res.body);
  }

  /** `GET /organizations/{org}/projects/`, 100 a page (Sentry's maximum), every page (`Link` cursors). */
  async listProjects(signal?: AbortSignal): Promise<UpstreamProject[]> {
    const items = await this.http.paginate<unknown>(`${await this.api()}/organizations/${this.org}/projects/?per_page=100`, LIST_MAX_PAGES, signal);
    return items.map(toProject);
  }

  async createProject(input: CreateProjectInput): Promise<UpstreamProject | null> {
    const { res, url } = await this.call('POST', `/teams/${this.org}/${encodeURIComponent(input.team)}/projects/`, {
      name: input.slug,
      slug: input.slug,
      platform: input.platform,
      default_rules: input.defaultRules,
    });
    if (res.status === 201) return toProject(res.body);
    if (res.status === 409) return null;
    if (res.status === 404) {
      // The team went away since we last made sure of it: forget it, and let the retry create it.
      this.teams.delete(input.team);
      throw new DomainError(ErrorCode.UpstreamUnavailable, `team "${input.team}" not found while creating project "${input.slug}"`, undefined, true);
    }
    UpstreamHttp.fail(this.name, 'POST', url, res);
  }

  async deleteProject(slug: string): Promise<void> {
    const { res, url } = await this.call('DELETE', `/projects/${this.org}/${encodeURIComponent(slug)}/`);
    if (res.status !== 204 && res.status !== 202 && res.status !== 404) UpstreamHttp.fail(this.name, 'DELETE', url, res);
  }

  async listKeys(project: string): Promise<UpstreamKey[]> {
    const keys = await this.http.paginate<SentryKeyBody>(`${await this.api()}/projects/${this.org}/${encodeURIComponent(project)}/keys/`);
    return keys.map(toKey);
  }

  async getKey(project: string, keyId: string): Promise<UpstreamKey | null> {
    const { res, url } = await this.call('GET', `/projects/${this.org}/${encodeURIComponent(project)}/keys/${encodeURIComponent(keyId)}/`);
    if (res.status === 404) return null;
    if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
    return toKey(res.body);
  }

  async createKey(project: string, input: CreateKeyInput): Promise<UpstreamKey> {
    // Not idempotent (Sentry allows two keys with one name): never re-sent within the call.
    const { res, url } = await this.call(
      'POST',
      `/projects/${this.org}/${encodeURIComponent(project)}/keys/`,
      { name: input.name, ...(input.rateLimit ? { rateLimit: input.rateLimit } : {}) },
      { once: true },
    );
    if (res.status !== 201 && res.status !== 200) UpstreamHttp.fail(this.name, 'POST', url, res);
    return toKey(res.body);
  }

  async deleteKey(project: string, keyId: string): Promise<void> {
    const { res, url } = await this.call('DELETE', `/projects/${this.org}/${encodeURIComponent(project)}/keys/${encodeURIComponent(keyId)}/`);
    if (res.status !== 204 && res.status !== 404) UpstreamHttp.fail(this.name, 'DELETE', url, res);
  }

  projectUrl(slug: string): string {
    return `${this.base}/organizations/${this.org}/projects/${encodeURIComponent(slug)}/`;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the Sentry API's JSON project
export function toProject(body: any): UpstreamProject {
  if (!body || body.id === undefined || typeof body.slug !== 'string') {
    throw new DomainError(ErrorCode.UpstreamRejected, 'upstream returned a project without id or slug');
  }
  const teams = Array.isArray(body.teams) ? body.teams : body.team ? [body.team] : [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the Sentry API's JSON project
  return { id: String(body.id), slug: body.slug, teamSlugs: teams.map((t: any) => t?.slug).filter(Boolean) };
}

export function toKey(body: SentryKeyBody): UpstreamKey {
  if (!body?.id || !body.dsn?.public) throw new DomainError(ErrorCode.UpstreamRejected, 'upstream returned a key without id or DSN');
  return {
    id: String(body.id),
    name: body.name ?? '',
    isActive: body.isActive !== false,
    dsn: { public: body.dsn.public, secret: body.dsn.secret ?? body.dsn.public },
  };
}
