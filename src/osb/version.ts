/**
 * OSB API version negotiation: X-Broker-API-Version must be 2.13 to 2.17 (a later 2.x is served as
 * 2.17). Missing, empty, malformed or another major → null (the edge answers 412). Responses are
 * shaped by the negotiated minor, so an older platform never sees a field newer than its version,
 * and request fields newer than it are ignored as unknown fields.
 */
export const MIN_MINOR = 13;
export const MAX_MINOR = 17;

export function negotiateVersion(header: string | string[] | undefined): number | null {
  const raw = Array.isArray(header) ? header[0] : header;
  const m = /^\s*(\d+)\.(\d+)\s*$/.exec(raw ?? '');
  if (!m || Number(m[1]) !== 2) return null;
  const minor = Number(m[2]);
  if (minor < MIN_MINOR) return null;
  return Math.min(minor, MAX_MINOR);
}

export interface VersionedFeature {
  /** the minor version it first appeared in (from the spec's release notes) */
  since: number;
  /** where it lives: a request field the broker reads, a response field it writes, or a behaviour */
  kind: 'request' | 'response' | 'behaviour';
  /** the fields it covers, as `where.field` */
  fields: string[];
}

/**
 * The one table of version-dependent fields and behaviours (osb-api.md §2, item 3). Every response
 * and every request reading goes through `since(minor, key)`; the version suite checks each
 * version's answers against this table.
 */
export const VERSIONED = {
  retrievable: { since: 14, kind: 'response', fields: ['catalog.instances_retrievable', 'catalog.bindings_retrievable'] },
  asyncBindings: { since: 14, kind: 'behaviour', fields: ['bind 202', 'unbind 202', 'binding last_operation'] },
  updateDashboardUrl: { since: 14, kind: 'response', fields: ['update.dashboard_url'] },
  endpoints: { since: 15, kind: 'response', fields: ['bind.endpoints', 'get_binding.endpoints'] },
  maintenanceInfo: { since: 15, kind: 'response', fields: ['catalog.plans.maintenance_info', 'get_instance.maintenance_info'] },
  maintenanceInfoRequest: { since: 15, kind: 'request', fields: ['provision.maintenance_info', 'update.maintenance_info'] },
  planUpdateable: { since: 15, kind: 'response', fields: ['catalog.plans.plan_updateable'] },
  maximumPollingDuration: { since: 15, kind: 'response', fields: ['catalog.plans.maximum_polling_duration'] },
  retryAfter: { since: 15, kind: 'response', fields: ['last_operation Retry-After header'] },
  noopUpdate200: { since: 15, kind: 'behaviour', fields: ['update 200 for a no-op'] },
  usableRepeatable: { since: 16, kind: 'response', fields: ['last_operation.instance_usable', 'last_operation.update_repeatable', 'error.update_repeatable'] },
  metadata: { since: 16, kind: 'response', fields: ['provision.metadata', 'get_instance.metadata', 'bind.metadata', 'get_binding.metadata'] },
  bindingRotatable: { since: 17, kind: 'response', fields: ['catalog.plans.binding_rotatable'] },
  predecessorBinding: { since: 17, kind: 'request', fields: ['bind.predecessor_binding_id'] },
} as const satisfies Record<string, VersionedFeature>;

export type VersionedKey = keyof typeof VERSIONED;

export const since = (minor: number, key: VersionedKey): boolean => minor >= VERSIONED[key].since;
