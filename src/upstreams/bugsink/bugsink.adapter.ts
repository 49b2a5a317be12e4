import { DomainError, ErrorCode } from '../../common/domain-error';
import { UpstreamConfig } from '../../config/config.schema';
import { CAPABILITIES, TrackerCapabilities } from '../capabilities';
import { CreateKeyInput, CreateProjectInput, ErrorTracker, TeamMembersResult, UpstreamKey, UpstreamProject } from '../error-tracker.port';
import { UpstreamHttp } from '../http-client';
import { limiterFor } from '../rate-limiter';

interface BugsinkTeam {
  id: string;
  name: string;
}

interface BugsinkProject {
  id: number | string;
  team: string;
  name: string;
  slug?: string;
  dsn?: string;
}

/**
 * Bugsink (2.x) through its canonical API `/api/canonical/0/`: bearer token, teams by UUID (named with svc-sentry's
 * team slug), projects named with svc-sentry's project slug (Bugsink derives the globally unique slug from the name),
 * the DSN read from the project's detail, DRF cursor pagination in the body. Bugsink has no organizations (the
 * upstream's `org` is ignored), exactly one fixed key per project (no keys API: "creating" a key returns that one,
 * and it is never revoked, because it is not svc-sentry's alone), no project delete and no member endpoints. The
 * plan's default alert rule is the project's `alert_on_new_issue`.
 */
export class BugsinkTracker extends ErrorTracker {
  readonly capabilities: TrackerCapabilities = CAPABILITIES.bugsink;
  readonly name: string;
  private readonly http: UpstreamHttp;
  private readonly base: string;
  private readonly api: string;
  /** team name → UUID, and project slug → integer id (both stable once seen). */
  private readonly teamIds = new Map<string, string>();
  private readonly projectIds = new Map<string, string>();

  constructor(cfg: UpstreamConfig) {
    super();
    this.name = cfg.name;
    this.base = cfg.url.replace(/\/+$/, '');
    this.api = `${this.base}/api/canonical/0`;
    this.http = new UpstreamHttp({ upstream: cfg.name, token: cfg.token, timeoutMs: cfg.timeoutMs, limiter: limiterFor(this.base, cfg.rateLimitPerSecond) });
  }

  async ping(): Promise<void> {
    const url = `${this.api}/teams/`;
    const res = await this.http.request('GET', url);
    if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
  }

  /** Every item of a list, following DRF's cursor pagination in the body (`{next, previous, results}`). */
  private async list<T>(url: string, maxPages = 100, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = url;
    for (let page = 0; next && page < maxPages; page++) {
      signal?.throwIfAborted();
      const res = await this.http.request('GET', next);
      if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', next, res);
      if (!Array.isArray(res.body?.results))
        throw new DomainError(ErrorCode.UpstreamRejected, `${this.name} answered a list without results to GET ${new URL(next).pathname}`);
      out.push(...(res.body.results as T[]));
      next = typeof res.body.next === 'string' && res.body.next ? res.body.next : null;
    }
    return out;
  }

  private async refreshTeams(): Promise<BugsinkTeam[]> {
    const teams = await this.list<BugsinkTeam>(`${this.api}/teams/`);
    for (const t of teams) this.teamIds.set(t.name, String(t.id));
    return teams;
  }

  private async teamId(slug: string): Promise<string | undefined> {
    if (!this.teamIds.has(slug)) await this.refreshTeams();
    return this.teamIds.get(slug);
  }

  async ensureTeam(slug: string): Promise<'created' | 'exists'> {
    if (await this.teamId(slug)) return 'exists';
    const url = `${this.api}/teams/`;
    const res = await this.http.request('POST', url, { name: slug });
    if (res.status === 201) {
      this.teamIds.set(slug, String(res.body.id));
      return 'created';
    }
    // Team names are unique: a racing creator answers 400 "team with this Name already exists".
    if (res.status === 400 && (await this.teamId(slug))) return 'exists';
    UpstreamHttp.fail(this.name, 'POST', url, res);
  }

  /** Bugsink has no member endpoints (capabilities.members is false): nothing to do. */
  async syncTeamMembers(): Promise<TeamMembersResult> {
    return { added: [], removed: [], notInOrganization: [] };
  }

  private async detail(id: string): Promise<BugsinkProject | null> {
    const url = `${this.api}/projects/${encodeURIComponent(id)}/`;
    const res = await this.http.request('GET', url);
    if (res.status === 404) return null;
    if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
    return res.body as BugsinkProject;
  }

  private async toProject(p: BugsinkProject): Promise<UpstreamProject> {
    if (p?.id === undefined || typeof p.slug !== 'string')
      throw new DomainError(ErrorCode.UpstreamRejected, `${this.name} returned a project without id or slug`);
    let team = [...this.teamIds].find(([, id]) => id === p.team)?.[0];
    if (!team) team = (await this.refreshTeams()).find((t) => String(t.id) === p.team)?.name;
    this.projectIds.set(p.slug, String(p.id));
    return { id: String(p.id), slug: p.slug, teamSlugs: team ? [team] : [] };
  }

  /** By slug: the remembered id's detail, else a scan of the project list (ordered by name, 250 a page). */
  private async findProject(slug: string): Promise<BugsinkProject | null> {
    const known = this.projectIds.get(slug);
    if (known) {
      const p = await this.detail(known);
      if (p && p.slug === slug) return p;
      this.projectIds.delete(slug);
    }
    const found = (await this.list<BugsinkProject>(`${this.api}/projects/`)).find((p) => p.slug === slug);
    return found ?? null;
  }

  /**
   * Every project (250 a page, cursor pages in the body), remembered by slug so later reads of one go straight to its
   * detail. Team names come from what is known already (no extra calls): a project of an unknown team lists none.
   */
  async listProjects(signal?: AbortSignal): Promise<UpstreamProject[]> {
    const all = await this.list<BugsinkProject>(`${this.api}/projects/`, 4_000, signal);
    const teams = new Map([...this.teamIds].map(([name, id]) => [id, name]));
    return all
      .filter((p) => p?.id !== undefined && typeof p.slug === 'string')
      .map((p) => {
        this.projectIds.set(p.slug!, String(p.id));
        const team = teams.get(String(p.team));
        return { id: String(p.id), slug: p.slug!, teamSlugs: team ? [team] : [] };
      });
  }

  async getProject(slug: string): Promise<UpstreamProject | null> {
    const p = await this.findProject(slug);
    return p ? this.toProject(p) : null;
  }

  /**
   * Names are unique per team, so the project is looked up in the team first (exists → null: the caller decides on
   * adoption). The create answer has neither slug nor DSN: the detail is read next.
   */
  async createProject(input: CreateProjectInput): Promise<UpstreamProject | null> {
    const team = await this.teamId(input.team);
    if (!team) {
      throw new DomainError(ErrorCode.UpstreamUnavailable, `team "${input.team}" not found while creating project "${input.slug}"`, undefined, true);
    }
    const inTeam = await this.list<BugsinkProject>(`${this.api}/projects/?team=${encodeURIComponent(team)}`);
    if (inTeam.some((p) => p.name === input.slug)) return null;
    const url = `${this.api}/projects/`;
    const res = await this.http.request('POST', url, { team, name: input.slug, alert_on_new_issue: input.defaultRules });
    if (res.status === 400 && /unique/i.test(JSON.stringify(res.body ?? {}))) return null;
    if (res.status !== 201) UpstreamHttp.fail(this.name, 'POST', url, res);
    const created = await this.detail(String(res.body?.id));
    if (!created) throw new DomainError(ErrorCode.UpstreamUnavailable, `${this.name}: project "${input.slug}" created but cannot be read yet`, undefined, true);
    return this.toProject(created);
  }

  async deleteProject(slug: string): Promise<void> {
    throw new DomainError(ErrorCode.Unsupported, `${this.name} (Bugsink) cannot delete projects through its API; project "${slug}" is kept`);
  }

  override keptProjectNote(): string {
    return 'project kept: Bugsink cannot delete projects through its API';
  }

  /** The project's one key, from the DSN in its detail (`{scheme}://{key}@{host}{path}/{id}`). */
  private async theKey(project: string): Promise<UpstreamKey> {
    const p = await this.findProject(project);
    if (!p) throw new DomainError(ErrorCode.UpstreamUnavailable, `${this.name}: project "${project}" not found`, undefined, true);
    if (typeof p.dsn !== 'string' || !p.dsn) throw new DomainError(ErrorCode.UpstreamRejected, `${this.name}: project "${project}" has no DSN`);
    let key: string;
    try {
      key = new URL(p.dsn).username;
    } catch {
      throw new DomainError(ErrorCode.UpstreamRejected, `${this.name}: project "${project}" has a malformed DSN`);
    }
    return { id: key, name: '', isActive: true, dsn: { public: p.dsn, secret: p.dsn } };
  }

  async listKeys(project: string): Promise<UpstreamKey[]> {
    return [await this.theKey(project)];
  }

  async getKey(project: string, keyId: string): Promise<UpstreamKey | null> {
    const p = await this.findProject(project);
    if (!p) return null;
    const key = await this.theKey(project);
    return key.id === keyId.replace(/-/g, '').toLowerCase() ? key : null;
  }

  /** One fixed key per project: "creating" one returns it (rotation and per-key limits do not exist there). */
  async createKey(project: string, _input: CreateKeyInput): Promise<UpstreamKey> {
    return this.theKey(project);
  }

  /** The fixed key is the project's only one and not svc-sentry's alone: it is never revoked. */
  async deleteKey(): Promise<void> {}

  projectUrl(slug: string): string {
    const id = this.projectIds.get(slug);
    return id ? `${this.base}/issues/${encodeURIComponent(id)}/` : `${this.base}/`;
  }
}
