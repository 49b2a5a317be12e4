import { randomBytes } from 'node:crypto';
import { DomainError, ErrorCode } from '../../src/common/domain-error';
import { CreateKeyInput, CreateProjectInput, ErrorTracker, UpstreamKey, UpstreamProject } from '../../src/upstreams/error-tracker.port';

/** ErrorTracker in memory with call counting and scripted faults, for unit tests of the reconciler. */
export class FakeErrorTracker extends ErrorTracker {
  readonly name = 'fake';
  readonly capabilities = { teams: true, members: true, multipleKeys: true, keyRateLimit: true, projectDelete: true, alertRules: true, secretDsn: true };
  teams = new Map<string, string[]>();
  projects = new Map<string, UpstreamProject & { keys: UpstreamKey[]; deleted?: boolean }>();
  calls: string[] = [];
  /** Calls (by name) that throw a retryable error the next N times. */
  failNext = new Map<string, number>();
  private nextId = 1;

  private call(name: string) {
    this.calls.push(name);
    const n = this.failNext.get(name) ?? 0;
    if (n > 0) {
      this.failNext.set(name, n - 1);
      throw new DomainError(ErrorCode.UpstreamUnavailable, `${name}: injected 503`, undefined, true);
    }
  }

  async ping() {
    this.call('ping');
  }
  async ensureTeam(slug: string) {
    this.call('ensureTeam');
    if (this.teams.has(slug)) return 'exists' as const;
    this.teams.set(slug, []);
    return 'created' as const;
  }
  async syncTeamMembers(team: string, change: { add: string[]; remove: string[] }) {
    this.call('syncTeamMembers');
    const members = this.teams.get(team) ?? [];
    const added = change.add.filter((e) => !members.includes(e));
    const removed = change.remove.filter((e) => members.includes(e));
    this.teams.set(team, [...members.filter((e) => !removed.includes(e)), ...added]);
    return { added, removed, notInOrganization: [] };
  }
  async listProjects() {
    this.call('listProjects');
    return [...this.projects.values()].filter((p) => !p.deleted).map((p) => ({ id: p.id, slug: p.slug, teamSlugs: [...p.teamSlugs] }));
  }

  async getProject(slug: string) {
    this.call('getProject');
    const p = this.projects.get(slug);
    return p && !p.deleted ? { id: p.id, slug: p.slug, teamSlugs: p.teamSlugs } : null;
  }
  async createProject(input: CreateProjectInput) {
    this.call('createProject');
    if (this.projects.get(input.slug) && !this.projects.get(input.slug)!.deleted) return null;
    const p = { id: String(this.nextId++), slug: input.slug, teamSlugs: [input.team], keys: [] as UpstreamKey[] };
    p.keys.push(this.key('Default', p.id));
    this.projects.set(input.slug, p);
    return { id: p.id, slug: p.slug, teamSlugs: p.teamSlugs };
  }
  async deleteProject(slug: string) {
    this.call('deleteProject');
    const p = this.projects.get(slug);
    if (p) p.deleted = true;
  }
  async listKeys(project: string) {
    this.call('listKeys');
    return [...(this.projects.get(project)?.keys ?? [])];
  }
  async getKey(project: string, keyId: string) {
    this.call('getKey');
    return this.projects.get(project)?.keys.find((k) => k.id === keyId) ?? null;
  }
  async createKey(project: string, input: CreateKeyInput) {
    this.call('createKey');
    const p = this.projects.get(project);
    if (!p) throw new DomainError(ErrorCode.UpstreamRejected, 'no such project');
    const k = this.key(input.name, p.id);
    p.keys.push(k);
    return k;
  }
  async deleteKey(project: string, keyId: string) {
    this.call('deleteKey');
    const p = this.projects.get(project);
    if (p) p.keys = p.keys.filter((k) => k.id !== keyId);
  }
  projectUrl(slug: string) {
    return `https://fake.example/projects/${slug}/`;
  }

  private key(name: string, projectId: string): UpstreamKey {
    const pub = randomBytes(16).toString('hex');
    const secret = randomBytes(16).toString('hex');
    return {
      id: pub,
      name,
      isActive: true,
      dsn: { public: `https://${pub}@fake.example/${projectId}`, secret: `https://${pub}:${secret}@fake.example/${projectId}` },
    };
  }
}
