import fc from 'fast-check';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { API_TOKEN, startTestApp, TestApp, upstreamEnv } from '../support/app';

type Schema = Record<string, any>;
type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };

/** A small JSON Schema (OpenAPI 3.0 subset) checker: $ref, type, nullable, enum, required, properties, items, additionalProperties. */
function violations(doc: Doc, schema: Schema | undefined, value: unknown, at = '$'): string[] {
  if (!schema) return [];
  if (schema.$ref) return violations(doc, doc.components.schemas[schema.$ref.split('/').pop()!], value, at);
  if (schema.allOf) return schema.allOf.flatMap((s: Schema) => violations(doc, s, value, at));
  if (value === null) return schema.nullable ? [] : [`${at}: null but not nullable`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  const actual = Array.isArray(value) ? 'array' : typeof value;
  if (type === 'integer' || type === 'number') return typeof value === 'number' ? [] : [`${at}: ${actual}, not ${type}`];
  if (type && type !== actual) return [`${at}: ${actual}, not ${type}`];
  if (type === 'array') return (value as unknown[]).flatMap((v, i) => violations(doc, schema.items, v, `${at}[${i}]`));
  if (type === 'object') {
    const obj = value as Record<string, unknown>;
    const out = (schema.required ?? []).filter((k: string) => !(k in obj)).map((k: string) => `${at}.${k}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const prop = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      out.push(...violations(doc, prop, v, `${at}.${k}`));
    }
    return out;
  }
  return [];
}

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const junk = fc.string({ minLength: 1, maxLength: 70 });
// `.` and `..` (even percent-encoded) are dot segments every URL client resolves before sending: not a path value.
const pathValue = fc.oneof(label, label, junk, fc.constantFrom('shop', 'web', '.x.', 'A', '-x', '0'.repeat(70))).filter((v) => v !== '.' && v !== '..');
const queryValue = fc.oneof(
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.constantFrom('1e21', '9223372036854775808', '-0', 'NaN', '', 'true', '2.5', '[]', 'ready', 'stag'),
  junk,
);
/** Bodies: mostly shaped like ToggleMonitoringDto with every field wrong in some way, and any JSON at all. */
const target = fc.oneof(
  fc.record({ namespace: fc.oneof(label, junk, fc.constant(null)), cluster: fc.option(fc.oneof(label, junk), { nil: undefined }) }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);
const toggle = fc.record(
  {
    enabled: fc.oneof(fc.boolean(), fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
    plan: fc.oneof(fc.constantFrom('default', 'legacy', 'gold'), fc.constant(null), fc.integer()),
    developers: fc.oneof(fc.array(fc.emailAddress(), { maxLength: 3 }), fc.array(junk, { maxLength: 2 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
    targets: fc.oneof(fc.dictionary(fc.constantFrom('stag', 'prod', 'qa'), target, { maxKeys: 3 }), fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
    colour: fc.string(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(toggle, toggle, toggle, fc.jsonValue({ maxDepth: 4 }));

/**
 * An OpenAPI-driven fuzz of the REST API: requests generated from the served /docs/openapi.json with
 * fast-check; every answer must be a documented status (never a 5xx) with the documented media type,
 * and a documented JSON body must match its schema.
 */
describe('REST API: fuzzed from its own OpenAPI document', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let doc: Doc;
  const seen = new Map<string, number>();

  beforeAll(async () => {
    standin = await startSentryStandin();
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_CONCURRENCY: '2' }));
    const res = await fetch(`${t.url}/docs/openapi.json`);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => {
    console.log(`fuzzed statuses: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    await t?.close();
    await standin?.close();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );

  it('the document lists the REST operations', () => {
    expect(operations().length).toBeGreaterThanOrEqual(5);
  });

  it('a few hundred generated requests: 0 answers of 5xx, 0 answers the document does not describe', async () => {
    const ops = operations();
    const problems: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: ops.length - 1 }),
        fc.dictionary(fc.constantFrom('app', 'module', 'id'), pathValue),
        fc.dictionary(fc.constantFrom('offset', 'limit', 'app', 'module', 'state', 'sdk', 'dryRun', 'revert', 'other'), queryValue, { maxKeys: 3 }),
        body,
        fc.constantFrom('good', 'good', 'good', 'good', 'none', 'bad'),
        async (i, pathParams, q, b, auth) => {
          const { path, method, op } = ops[i];
          const url = path.replace(/\{(\w+)\}/g, (_m, k) => encodeURIComponent(pathParams[k] ?? 'shop'));
          const qs = new URLSearchParams(q).toString();
          const headers: Record<string, string> = { authorization: auth === 'good' ? `Bearer ${API_TOKEN}` : auth === 'bad' ? 'Bearer nope-nope-nope' : '' };
          const hasBody = method === 'PUT' || method === 'POST';
          if (hasBody) headers['content-type'] = 'application/json';
          const res = await fetch(`${t.url}${url}${qs ? `?${qs}` : ''}`, { method, headers, body: hasBody ? JSON.stringify(b) : undefined });
          const text = await res.text();
          seen.set(String(res.status), (seen.get(String(res.status)) ?? 0) + 1);
          const where = `${method} ${url}${qs ? `?${qs}` : ''} ${hasBody ? JSON.stringify(b).slice(0, 200) : ''} → ${res.status} ${text.slice(0, 300)}`;
          const documented = op.responses[String(res.status)] ?? op.responses.default;
          if (res.status >= 500) problems.push(`5xx: ${where}`);
          else if (!documented) problems.push(`undocumented status: ${where}`);
          else if (documented.content) {
            const [type] = Object.keys(documented.content);
            const got = (res.headers.get('content-type') ?? '').split(';')[0];
            if (got !== type) problems.push(`media type ${got}, documented ${type}: ${where}`);
            else if (type.endsWith('json')) {
              const v = violations(doc, documented.content[type].schema, JSON.parse(text));
              if (v.length) problems.push(`schema: ${v.slice(0, 3).join('; ')}: ${where}`);
            }
          }
          return true;
        },
      ),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261129) },
    );
    expect(problems).toEqual([]);
  });
});
