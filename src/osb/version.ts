/**
 * OSB API version negotiation: X-Broker-API-Version must be 2.13 to 2.17 (a later 2.x is served as
 * 2.17). Missing, empty, malformed or another major → null (the edge answers 412). Responses are
 * shaped by the negotiated minor, so an older platform never sees a field newer than its version.
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

/** The minor version each response field first appeared in. */
export const FIELD_SINCE = {
  /** service: instances_retrievable, bindings_retrievable; bind: endpoints; update: dashboard_url */
  retrievable: 14,
  endpoints: 14,
  updateDashboardUrl: 14,
  /** plan: maintenance_info, plan_updateable, maximum_polling_duration; last_operation: instance_usable, update_repeatable */
  maintenanceInfo: 15,
  planUpdateable: 15,
  maximumPollingDuration: 15,
  usableRepeatable: 15,
  /** provision / bind / GET: metadata */
  metadata: 16,
  /** plan: binding_rotatable */
  bindingRotatable: 17,
} as const;

export const since = (minor: number, field: keyof typeof FIELD_SINCE): boolean => minor >= FIELD_SINCE[field];
