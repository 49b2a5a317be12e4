/**
 * Public types of the Sentry API stand-in (test harness only).
 * Written from the documented Sentry Web API / ingest facts, not from Sentry code.
 */

export interface StandinFaults {
  /** 0..1: answer 500/502/503 before handling the call. */
  errorRate?: number;
  /** 0..1: random 429 (body and headers like the fixed-window limiter, Reset = next second). */
  rateLimit429Rate?: number;
  /** 0..1: never answer (keep the socket open until the client aborts or close() destroys it). */
  timeoutRate?: number;
  /** 0..1: destroy the socket without answering. */
  resetRate?: number;
  /** Fixed delay before every management answer. */
  latencyMs?: number;
  /** Fixed-window limit per org per second, like Sentry: beyond it → 429 with X-Sentry-Rate-Limit-* headers. Unlimited if unset. */
  requestsPerSecond?: number;
  /**
   * 0..1 (stand-in extra): the call IS applied, then its answer is replaced by a 502
   * (response lost at the gateway) — exercises idempotent retries (e.g. 409 on re-create).
   */
  lostResponseRate?: number;
  /** Route name (e.g. 'GET /teams/members') → status answered instead of handling the call (403: permission, 5xx: error). */
  routeStatus?: Record<string, number>;
  // Faults only ever apply to /api/0/ management calls, never to ingest.
}

export interface StandinOptions extends StandinFaults {
  /** 0 = random (default). */
  port?: number;
  /** Organization slugs; default ['acme']. */
  orgs?: string[];
  /** token → scopes; default {'test-token': ALL_SCOPES}. */
  tokens?: Record<string, string[]>;
  /** List page size (default 100). `?per_page=` (≤100) overrides it per request. */
  pageSize?: number;
  /** `glitchtip` reproduces GlitchTip 5.x's differences from Sentry's API (see glitchtip.ts and the README). Default `sentry`. */
  flavor?: 'sentry' | 'glitchtip';
  /** GlitchTip mode: the e-mail of the user the tokens belong to (added to every team it creates). */
  tokenUser?: string;
  /** Stand-in extra: organization members to seed, org → e-mails (needed by Sentry's own member endpoints). */
  orgMembers?: Record<string, string[]>;
}

export interface Org {
  id: string;
  slug: string;
  name: string;
  dateCreated: string;
}

export interface Team {
  id: string;
  slug: string;
  name: string;
  org: string;
  dateCreated: string;
  /** Member e-mails (stand-in simplification of Sentry's member endpoints). */
  members: string[];
}

export interface Project {
  /** Numeric string, like Sentry. */
  id: string;
  slug: string;
  name: string;
  platform: string | null;
  org: string;
  /** Team ids; the first is the "team" of the summary. */
  teamIds: string[];
  dateCreated: string;
  /** `default_rules` given at creation (Sentry's default is true). */
  hasDefaultRules: boolean;
  /** Set when deleted (API or out of band); deleted projects never appear in state lists. */
  deletedAt?: string;
}

export interface KeyRateLimit {
  window: number | null;
  count: number | null;
}

export interface Key {
  /** 32-hex public key. */
  id: string;
  public: string;
  secret: string;
  name: string;
  /** Integer, like Sentry. */
  projectId: number;
  projectSlug: string;
  org: string;
  isActive: boolean;
  rateLimit: KeyRateLimit | null;
  useCase: string;
  dateCreated: string;
}

export interface ReceivedEvent {
  projectId: string;
  keyId: string;
  via: 'store' | 'envelope';
  exceptionType?: string;
  exceptionValue?: string;
  environment?: string;
  release?: string;
  sdk?: string;
  /** store: the event JSON; envelope: `{ header, items: [{ header, payload }] }` (JSON payloads parsed). */
  raw: any;
  /** A secret was sent (X-Sentry-Auth sentry_secret, ?sentry_secret= or the DSN's password). */
  secretGiven?: boolean;
  /** Stand-in extra: the given secret equals the key's secret (only set when secretGiven). */
  secretValid?: boolean;
  /** Stand-in extras. */
  eventId: string;
  itemTypes: string[];
  receivedAt: number;
}

export interface StandinStats {
  /** Management (/api/0/) calls, including faulted ones. */
  calls: number;
  /** e.g. 'POST /teams/projects', 'GET /projects/keys/:key'; ingest counted as 'POST /store', 'POST /envelope'. */
  byRoute: Record<string, number>;
  /** Status codes answered to management calls. */
  status: Record<number, number>;
  /** 429s answered (fixed window + random). */
  rateLimited: number;
  /** Stand-in extras: injected faults without a status. */
  timeouts: number;
  resets: number;
  lostResponses: number;
}

export interface StandinStateApi {
  teams(org: string): Team[];
  projects(org: string): Project[];
  keys(org: string, projectSlug: string): Key[];
  events(projectId?: string): ReceivedEvent[];
  deleteKeyOutOfBand(org: string, projectSlug: string, keyId: string): void;
  deleteProjectOutOfBand(org: string, projectSlug: string): void;
  createProjectOutOfBand(org: string, teamSlug: string, slug: string): Project;
  teamMembers(org: string, teamSlug: string): string[];
  /** Stand-in extras: organization membership (lower-cased e-mails); addOrgMember returns the member id. */
  orgMembers(org: string): string[];
  addOrgMember(org: string, email: string): string;
  /**
   * Stand-in extra for scale tests and benchmarks: creates teams (as needed), projects (each with its Default key) and
   * one key with the given name per project, without HTTP; answers what a client would have read back.
   */
  seedProjects(org: string, items: Array<{ team: string; slug: string; keyName: string }>): SeededProject[];
}

export interface SeededProject {
  projectId: string;
  slug: string;
  keyId: string;
  dsn: { public: string; secret: string };
}

export interface SentryStandin {
  /** http://127.0.0.1:PORT */
  url: string;
  setFaults(f: StandinFaults): void;
  addToken(token: string, scopes: string[]): void;
  stats(): StandinStats;
  resetStats(): void;
  /** Stand-in extra: the management calls answered between `since` and `until` (epoch ms): route name, path, status. */
  requests(since?: number, until?: number): Array<{ at: number; route: string; path: string; status: number }>;
  state: StandinStateApi;
  waitForEvent(predicate: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): Promise<void>;
}

export const ALL_SCOPES: readonly string[] = [
  'org:read',
  'org:write',
  'org:admin',
  'org:integrations',
  'team:read',
  'team:write',
  'team:admin',
  'project:read',
  'project:write',
  'project:admin',
  'project:releases',
  'member:read',
  'member:write',
  'member:admin',
  'event:read',
  'event:write',
  'event:admin',
  'alerts:read',
  'alerts:write',
];
