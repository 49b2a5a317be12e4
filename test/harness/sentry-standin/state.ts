/** In-memory data of the stand-in: orgs, teams, projects, keys, received events. */
import { randomBytes } from 'node:crypto';
import type { Key, KeyRateLimit, Org, Project, ReceivedEvent, Team } from './types';

const ADJECTIVES = ['Liked', 'Bold', 'Brave', 'Calm', 'Quick', 'Noble', 'Lucky', 'Merry'];
const ANIMALS = ['Pegasus', 'Oarfish', 'Otter', 'Falcon', 'Lynx', 'Heron', 'Badger', 'Marmot'];

export class StandinError extends Error {}

function now(): string {
  return new Date().toISOString();
}

function hex32(): string {
  return randomBytes(16).toString('hex');
}

export function slugify(name: string, max = 50): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max);
}

export class StandinStore {
  readonly orgs = new Map<string, Org>();
  private readonly teamsBySlug = new Map<string, Team>(); // `${org}/${slug}`
  private readonly teamsById = new Map<string, Team>();
  private readonly projectList: Project[] = [];
  /** Lookup indexes (a bulk-seeded organization holds 100,000 projects); entries are checked against the project on use. */
  private readonly projectsByKey = new Map<string, Project>(); // `${org}/${slug}` and `${org}/#${id}`
  private readonly projectsById = new Map<string, Project>();
  private readonly keyList: Key[] = [];
  private readonly keysByProject = new Map<number, Key[]>();
  readonly events: ReceivedEvent[] = [];
  /** org → (email → organization member id). */
  private readonly orgMembers = new Map<string, Map<string, string>>();
  private nextMemberId = 1001;
  private nextTeamId = 4500001;
  private nextProjectId = 4505281256090001;
  private deletedSeq = 0;

  constructor(orgSlugs: string[]) {
    orgSlugs.forEach((slug, i) => this.orgs.set(slug, { id: String(4504765715316736 + i), slug, name: slug, dateCreated: now() }));
  }

  org(idOrSlug: string): Org | undefined {
    return this.orgs.get(idOrSlug) ?? [...this.orgs.values()].find((o) => o.id === idOrSlug);
  }

  // ---- organization members (by lower-cased e-mail) ----
  members(org: string): Array<{ id: string; email: string }> {
    return [...(this.orgMembers.get(org) ?? new Map<string, string>())].map(([email, id]) => ({ id, email }));
  }

  memberId(org: string, email: string): string | undefined {
    return this.orgMembers.get(org)?.get(email.toLowerCase());
  }

  /** Adds (idempotently) an organization member; returns its id. */
  addMember(org: string, email: string): string {
    let m = this.orgMembers.get(org);
    if (!m) this.orgMembers.set(org, (m = new Map()));
    const e = email.toLowerCase();
    let id = m.get(e);
    if (!id) m.set(e, (id = String(this.nextMemberId++)));
    return id;
  }

  // ---- teams ----
  teams(org: string): Team[] {
    return [...this.teamsBySlug.values()].filter((t) => t.org === org);
  }

  team(org: string, idOrSlug: string): Team | undefined {
    return this.teamsBySlug.get(`${org}/${idOrSlug}`) ?? this.teams(org).find((t) => t.id === idOrSlug);
  }

  teamById(id: string): Team | undefined {
    return this.teamsById.get(id);
  }

  createTeam(org: string, slug: string, name: string): Team {
    if (this.teamsBySlug.has(`${org}/${slug}`)) throw new StandinError(`team ${slug} exists`);
    const team: Team = { id: String(this.nextTeamId++), slug, name, org, dateCreated: now(), members: [] };
    this.teamsBySlug.set(`${org}/${slug}`, team);
    this.teamsById.set(team.id, team);
    return team;
  }

  // ---- projects ----
  projects(org: string): Project[] {
    return this.projectList.filter((p) => p.org === org && !p.deletedAt);
  }

  project(org: string, idOrSlug: string): Project | undefined {
    for (const k of [`${org}/${idOrSlug}`, `${org}/#${idOrSlug}`]) {
      const p = this.projectsByKey.get(k);
      if (p && p.org === org && !p.deletedAt && (p.slug === idOrSlug || p.id === idOrSlug)) return p;
    }
    return undefined;
  }

  /** Changes a project's slug (PUT, or deletion freeing it) and its index entry. */
  renameProject(project: Project, slug: string): void {
    if (this.projectsByKey.get(`${project.org}/${project.slug}`) === project) this.projectsByKey.delete(`${project.org}/${project.slug}`);
    project.slug = slug;
    this.projectsByKey.set(`${project.org}/${slug}`, project);
  }

  projectById(id: string): Project | undefined {
    return this.projectsById.get(id);
  }

  slugTaken(org: string, slug: string): boolean {
    return this.project(org, slug)?.slug === slug;
  }

  /** Creates the project and its "Default" key, like Sentry's post_save receiver. */
  createProject(org: string, team: Team, fields: { slug: string; name: string; platform: string | null; defaultRules: boolean }): Project {
    if (this.slugTaken(org, fields.slug)) throw new StandinError(`project ${fields.slug} exists`);
    const project: Project = {
      id: String(this.nextProjectId++),
      slug: fields.slug,
      name: fields.name,
      platform: fields.platform,
      org,
      teamIds: [team.id],
      dateCreated: now(),
      hasDefaultRules: fields.defaultRules,
    };
    this.projectList.push(project);
    this.projectsByKey.set(`${org}/${project.slug}`, project);
    this.projectsByKey.set(`${org}/#${project.id}`, project);
    this.projectsById.set(project.id, project);
    this.createKey(project, { name: 'Default' });
    return project;
  }

  /** Async deletion semantics: gone from reads at once, slug renamed so it is reusable. */
  deleteProject(project: Project): void {
    project.deletedAt = now();
    this.renameProject(project, `${project.slug}-deleted-${++this.deletedSeq}`);
  }

  // ---- keys ----
  keys(project: Project): Key[] {
    return [...(this.keysByProject.get(Number(project.id)) ?? [])];
  }

  keyByPublic(pub: string): Key | undefined {
    return this.keyList.find((k) => k.public === pub);
  }

  createKey(project: Project, fields: { name?: string | null; rateLimit?: KeyRateLimit | null; useCase?: string }): Key {
    const pub = hex32();
    const name = fields.name ?? `${ADJECTIVES[Math.floor(Math.random() * ADJECTIVES.length)]} ${ANIMALS[Math.floor(Math.random() * ANIMALS.length)]}`;
    const key: Key = {
      id: pub,
      public: pub,
      secret: hex32(),
      name,
      projectId: Number(project.id),
      projectSlug: project.slug,
      org: project.org,
      isActive: true,
      rateLimit: fields.rateLimit ?? null,
      useCase: fields.useCase ?? 'user',
      dateCreated: now(),
    };
    this.keyList.push(key);
    const list = this.keysByProject.get(key.projectId);
    if (list) list.push(key);
    else this.keysByProject.set(key.projectId, [key]);
    return key;
  }

  deleteKey(key: Key): void {
    const i = this.keyList.indexOf(key);
    if (i >= 0) this.keyList.splice(i, 1);
    const list = this.keysByProject.get(key.projectId);
    const j = list ? list.indexOf(key) : -1;
    if (list && j >= 0) list.splice(j, 1);
  }

  /** Key usable for ingest: issued here, active, project not deleted. */
  ingestKey(pub: string): { key: Key; project: Project } | undefined {
    const key = this.keyByPublic(pub);
    if (!key || !key.isActive) return undefined;
    const project = this.projectById(String(key.projectId));
    if (!project || project.deletedAt) return undefined;
    return { key, project };
  }

  /**
   * Bulk seed (benchmarks and scale tests): teams made as needed, then each project with its Default key and one key
   * with the given name, all without HTTP. Slugs already taken are refused, as on create.
   */
  seed(org: string, items: Array<{ team: string; slug: string; keyName: string }>): Array<{ project: Project; key: Key }> {
    return items.map((it) => {
      const team = this.team(org, it.team) ?? this.createTeam(org, it.team, it.team);
      const project = this.createProject(org, team, { slug: it.slug, name: it.slug, platform: 'other', defaultRules: true });
      return { project, key: this.createKey(project, { name: it.keyName }) };
    });
  }

  // ---- out-of-band helpers (for tests: drift the upstream behind the broker's back) ----
  requireProject(org: string, slug: string): Project {
    const p = this.project(org, slug);
    if (!p) throw new StandinError(`stand-in: no project ${org}/${slug}`);
    return p;
  }

  requireTeam(org: string, slug: string): Team {
    const t = this.team(org, slug);
    if (!t) throw new StandinError(`stand-in: no team ${org}/${slug}`);
    return t;
  }
}
