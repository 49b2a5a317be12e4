/**
 * The one comparison of desired state used by every entry point (REST, BlueKing, OSB): two wishes
 * are the same when their values are equal as JSON, whatever the order of object keys (PostgreSQL's
 * jsonb stores keys in its own order, so a value read back rarely keeps the order it was sent in).
 * Array order counts. `undefined` and `null` are the same (both "not given").
 */
export function sameDesired(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted at every depth. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(canonical(v ?? null));
}

const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map((x) => canonical(x ?? null))
    : v && typeof v === 'object' && !(v instanceof Date)
      ? Object.fromEntries(
          Object.keys(v)
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;
