import { DomainError, ErrorCode } from '../../common/domain-error';
import { CAPABILITIES, TrackerCapabilities } from '../capabilities';
import { CreateKeyInput, CreateProjectInput, TeamMembersChange, TeamMembersResult, UpstreamKey, UpstreamProject } from '../error-tracker.port';
import { UpstreamHttp } from '../http-client';
import { SentryKeyBody, SentryTracker, toKey, toProject } from '../sentry/sentry.adapter';

const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GlitchTip key ids are dashed UUIDs; the DSN carries them as 32 hex digits. Anything else is no key of GlitchTip's. */
export function glitchtipKeyId(id: string): string | null {
  const hex = id.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  const dashed = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return DASHED_UUID.test(dashed) ? dashed : null;
}

/**
 * GlitchTip (5.x) through its Sentry-compatible `/api/0/`, with its differences handled (see the README):
 * teams and projects are looked up before they are created (a duplicate team answers 500, a duplicate project
 * is created silently with a `-2` slug), the slug is derived from the name, ownership comes from the project's
 * `teams/` list, key ids are dashed UUIDs, there is no secret DSN, no alert rule and no enforced key rate limit,
 * and the token's own user (added to every team it creates) is never removed by member sync.
 */
export class GlitchtipTracker extends SentryTracker {
  override readonly capabilities: TrackerCapabilities = CAPABILITIES.glitchtip;
  private me?: Promise<string | null>;

  /** Look the team up first: GlitchTip answers 500 (an HTML page), not 409, for an existing slug. */
  protected override async createTeam(slug: string): Promise<'created' | 'exists'> {
    if (await this.teamExists(slug)) return 'exists';
    const { res, url } = await this.call('POST', `/organizations/${this.org}/teams/`, { slug });
    if (res.status === 201) return 'created';
    if (res.status === 409 || (await this.teamExists(slug))) return 'exists';
    UpstreamHttp.fail(this.name, 'POST', url, res);
  }

  private async teamExists(slug: string): Promise<boolean> {
    const { res, url } = await this.call('GET', `/teams/${this.org}/${encodeURIComponent(slug)}/`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    UpstreamHttp.fail(this.name, 'GET', url, res);
  }

  /** Project detail has no `teams`; the ownership check reads `GET /projects/{org}/{slug}/teams/`. */
  override async getProject(slug: string): Promise<UpstreamProject | null> {
    const { res, url } = await this.call('GET', `/projects/${this.org}/${encodeURIComponent(slug)}/`);
    if (res.status === 404) return null;
    if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
    const project = toProject(res.body);
    const teams = await this.http.paginate<{ slug: string }>(`${await this.api()}/projects/${this.org}/${encodeURIComponent(project.slug)}/teams/`);
    return { ...project, teamSlugs: teams.map((t) => t?.slug).filter(Boolean) };
  }

  /**
   * GlitchTip never answers 409: it ignores `slug` and derives one from `name`, suffixing `-2` on a collision.
   * So: look up first (exists → null, the caller decides on adoption), send name = wanted slug, and if a racing
   * creator got there first (we were given `slug-2`), delete that empty duplicate and report "exists".
   */
  override async createProject(input: CreateProjectInput): Promise<UpstreamProject | null> {
    if (await this.projectExists(input.slug)) return null;
    // Sent once: a re-sent POST whose first answer was lost would make `slug-2`; the reconciler's retry looks up first.
    const { res, url } = await this.call(
      'POST',
      `/teams/${this.org}/${encodeURIComponent(input.team)}/projects/`,
      { name: input.slug, platform: input.platform },
      { once: true },
    );
    if (res.status === 404) {
      this.teams.delete(input.team);
      throw new DomainError(ErrorCode.UpstreamUnavailable, `team "${input.team}" not found while creating project "${input.slug}"`, undefined, true);
    }
    if (res.status !== 201) UpstreamHttp.fail(this.name, 'POST', url, res);
    const created = toProject(res.body);
    if (created.slug !== input.slug) {
      await this.deleteProject(created.slug);
      return null;
    }
    return { ...created, teamSlugs: [input.team] };
  }

  private async projectExists(slug: string): Promise<boolean> {
    const { res, url } = await this.call('GET', `/projects/${this.org}/${encodeURIComponent(slug)}/`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    UpstreamHttp.fail(this.name, 'GET', url, res);
  }

  override async listKeys(project: string): Promise<UpstreamKey[]> {
    const keys = await this.http.paginate<SentryKeyBody>(`${await this.api()}/projects/${this.org}/${encodeURIComponent(project)}/keys/`);
    return keys.map(glitchtipKey);
  }

  /** A key id that is no UUID answers 500 there, not 404: such an id cannot be one of GlitchTip's keys. */
  override async getKey(project: string, keyId: string): Promise<UpstreamKey | null> {
    const id = glitchtipKeyId(keyId);
    if (!id) return null;
    const { res, url } = await this.call('GET', `/projects/${this.org}/${encodeURIComponent(project)}/keys/${id}/`);
    if (res.status === 404) return null;
    if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
    return glitchtipKey(res.body);
  }

  override async createKey(project: string, input: CreateKeyInput): Promise<UpstreamKey> {
    // Sent once: a create applied upstream whose answer was lost is found by name on the reconciler's retry.
    const { res, url } = await this.call('POST', `/projects/${this.org}/${encodeURIComponent(project)}/keys/`, { name: input.name }, { once: true });
    if (res.status !== 201 && res.status !== 200) UpstreamHttp.fail(this.name, 'POST', url, res);
    return glitchtipKey(res.body);
  }

  override async deleteKey(project: string, keyId: string): Promise<void> {
    const id = glitchtipKeyId(keyId);
    if (!id) return;
    const { res, url } = await this.call('DELETE', `/projects/${this.org}/${encodeURIComponent(project)}/keys/${id}/`);
    if (res.status !== 204 && res.status !== 200 && res.status !== 404) UpstreamHttp.fail(this.name, 'DELETE', url, res);
  }

  /**
   * Members as on Sentry (GlitchTip ignores `?query=email:`, so the whole member list is read and matched here),
   * except that the token's own user, which GlitchTip adds to every team it creates, is never removed, even when asked.
   */
  override async syncTeamMembers(team: string, change: TeamMembersChange): Promise<TeamMembersResult> {
    const me = await this.tokenUser();
    return super.syncTeamMembers(team, { add: change.add, remove: change.remove.filter((e) => e.toLowerCase() !== me) });
  }

  private tokenUser(): Promise<string | null> {
    this.me ??= (async () => {
      const url = `${this.base}/api/0/users/me/`;
      const res = await this.http.request('GET', url);
      if (res.status !== 200) UpstreamHttp.fail(this.name, 'GET', url, res);
      const email = res.body?.email ?? res.body?.username;
      return typeof email === 'string' ? email.toLowerCase() : null;
    })().catch((e) => {
      this.me = undefined;
      throw e;
    });
    return this.me;
  }

  /** GlitchTip's own project settings page (its UI routes are `/{org}/settings/projects/{slug}`). */
  override projectUrl(slug: string): string {
    return `${this.base}/${this.org}/settings/projects/${encodeURIComponent(slug)}`;
  }
}

/** No `isActive` (always active), ids as dashed UUIDs, and `dsn.secret` is the public DSN (no secret form). */
function glitchtipKey(body: SentryKeyBody): UpstreamKey {
  const key = toKey(body);
  return { ...key, id: glitchtipKeyId(key.id) ?? key.id, isActive: true, dsn: { public: key.dsn.public, secret: key.dsn.public } };
}
