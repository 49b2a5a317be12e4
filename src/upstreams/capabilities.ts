import type { UpstreamKind } from '../config/config.schema';

/** What an upstream can do. The reconciler skips steps an upstream cannot take; the config check rejects plans that ask for them. */
export interface TrackerCapabilities {
  /** Teams can be created through the API. */
  teams: boolean;
  /** Team members can be added and removed through the API. */
  members: boolean;
  /** More than one client key per project (svc-sentry's own key, rotation, OSB bindings). */
  multipleKeys: boolean;
  /** Per-key rate limits are enforced upstream. */
  keyRateLimit: boolean;
  /** Projects can be deleted through the API. */
  projectDelete: boolean;
  /** `default_rules` creates the "alert on every new issue" rule. */
  alertRules: boolean;
  /** Keys have a real secret, so the legacy `public:secret` DSN (raven < 6.7) can be served. */
  secretDsn: boolean;
}

/** Capabilities by upstream kind (see the README's upstream section for why each is what it is). */
export const CAPABILITIES: Record<UpstreamKind, TrackerCapabilities> = {
  sentry: { teams: true, members: true, multipleKeys: true, keyRateLimit: true, projectDelete: true, alertRules: true, secretDsn: true },
  // Rate limits are stored but "not implemented"; default_rules is ignored; dsn.secret equals the public DSN.
  glitchtip: { teams: true, members: true, multipleKeys: true, keyRateLimit: false, projectDelete: true, alertRules: false, secretDsn: false },
  // Canonical API: no DELETE for projects, exactly one fixed key per project, no member endpoints;
  // `alert_on_new_issue` on the project is the default rule's "alert on every new issue".
  bugsink: { teams: true, members: false, multipleKeys: false, keyRateLimit: false, projectDelete: false, alertRules: true, secretDsn: false },
};

/** Human words for a kind, used in messages ("Bugsink cannot delete projects"). */
export const KIND_LABEL: Record<UpstreamKind, string> = { sentry: 'Sentry', glitchtip: 'GlitchTip', bugsink: 'Bugsink' };
