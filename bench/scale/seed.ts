/**
 * Fast seeding of ready module-environments, as svc-sentry would have left them after provisioning: attachment,
 * instance (ready, converged, project recorded, DSN sealed) and primary key rows written with multi-row INSERTs, and the
 * matching upstream state (team, project, Default key, svc-sentry's key) put into the Sentry stand-in without HTTP.
 * Used by bench:scale (100,000 module-environments) and the resync suites (a few hundred).
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { SecretBox } from '../../src/common/crypto';
import { ownedKeyName, projectSlug, teamSlug } from '../../src/common/names';
import type { SentryStandin } from '../../test/harness/sentry-standin';

export interface SeedOptions {
  databaseUrl: string;
  /** The encryption key svc-sentry runs with (64 hex characters): DSNs are sealed with it. */
  encryptionKey: string;
  standin: SentryStandin;
  org: string;
  /** Module-environments to create: `modules × envs.length`. */
  modules: number;
  /** App name prefix; apps get `modulesPerApp` modules each. */
  appPrefix: string;
  modulesPerApp?: number;
  envs?: string[];
  plan?: string;
  upstream?: string;
  /** Where each environment's Secret is recorded (null: none). */
  secretOf?: (app: string, module: string, env: string) => { cluster: string; namespace: string; name: string } | null;
}

export interface SeededInstance {
  id: string;
  app: string;
  module: string;
  env: string;
  projectSlug: string;
  projectId: string;
  keyId: string;
  dsn: { public: string; secret: string };
}

const ROWS_PER_INSERT = 5000;

/** Seeds and returns the instances (in creation order). */
export async function seedReadyInstances(o: SeedOptions): Promise<SeededInstance[]> {
  const envs = o.envs ?? ['stag', 'prod'];
  const perApp = o.modulesPerApp ?? 10;
  const box = new SecretBox(o.encryptionKey);
  const plan = o.plan ?? 'default';
  const upstream = o.upstream ?? 'default';
  const out: SeededInstance[] = [];
  const db = new Client({ connectionString: o.databaseUrl });
  await db.connect();
  try {
    for (let start = 0; start < o.modules; start += ROWS_PER_INSERT / envs.length) {
      const mods: Array<{ app: string; module: string }> = [];
      for (let m = start; m < Math.min(o.modules, start + ROWS_PER_INSERT / envs.length); m++) {
        mods.push({ app: `${o.appPrefix}${Math.floor(m / perApp)}`, module: `m${m % perApp}` });
      }
      const items = mods.flatMap(({ app, module }) =>
        envs.map((env) => ({ app, module, env, id: randomUUID(), team: teamSlug(app), slug: projectSlug(app, module, env) })),
      );
      const upstreamState = o.standin.state.seedProjects(
        o.org,
        items.map((i) => ({ team: i.team, slug: i.slug, keyName: ownedKeyName(i.id) })),
      );
      const seeded = items.map((i, n) => ({ ...i, up: upstreamState[n] }));
      await insert(
        db,
        'attachments',
        [
          ['app', 'varchar'],
          ['module', 'varchar'],
          ['enabled', 'boolean'],
          ['plan', 'varchar'],
        ],
        mods.map((m) => [m.app, m.module, true, plan]),
      );
      await insert(
        db,
        'instances',
        [
          ['id', 'uuid'],
          ['app', 'varchar'],
          ['module', 'varchar'],
          ['env', 'varchar'],
          ['plan', 'varchar'],
          ['upstream', 'varchar'],
          ['desired', 'varchar'],
          ['state', 'varchar'],
          ['generation', 'int'],
          ['observed_generation', 'int'],
          ['team_slug', 'varchar'],
          ['project_slug', 'varchar'],
          ['project_id', 'varchar'],
          ['project_owned', 'boolean'],
          ['dsn_sealed', 'text'],
          ['secret', 'jsonb'],
          ['origin', 'varchar'],
          ['reconciled_at', 'timestamptz'],
        ],
        seeded.map((i) => [
          i.id,
          i.app,
          i.module,
          i.env,
          plan,
          upstream,
          'present',
          'ready',
          1,
          1,
          i.team,
          i.up.slug,
          i.up.projectId,
          true,
          box.seal(JSON.stringify(i.up.dsn)),
          o.secretOf ? JSON.stringify(o.secretOf(i.app, i.module, i.env)) : null,
          'rest',
          new Date(),
        ]),
      );
      await insert(
        db,
        'keys',
        [
          ['instance_id', 'uuid'],
          ['purpose', 'varchar'],
          ['name', 'varchar'],
          ['upstream_key_id', 'varchar'],
          ['desired', 'varchar'],
          ['state', 'varchar'],
          ['dsn_sealed', 'text'],
        ],
        seeded.map((i) => [i.id, 'primary', ownedKeyName(i.id), i.up.keyId, 'present', 'active', box.seal(JSON.stringify(i.up.dsn))]),
      );
      for (const i of seeded) {
        out.push({ id: i.id, app: i.app, module: i.module, env: i.env, projectSlug: i.up.slug, projectId: i.up.projectId, keyId: i.up.keyId, dsn: i.up.dsn });
      }
    }
  } finally {
    await db.end();
  }
  return out;
}

/** One INSERT per batch with one array parameter per column (`unnest`), far cheaper to bind than a parameter per value. */
async function insert(db: Client, table: string, columns: Array<[name: string, type: string]>, rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const arrays = columns.map((_, c) => rows.map((r) => r[c]));
  const select = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  await db.query(`INSERT INTO ${table} (${columns.map(([n]) => n).join(', ')}) SELECT * FROM unnest(${select})`, arrays);
}
