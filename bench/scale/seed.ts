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

const ROWS_PER_INSERT = 1000;

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
        ['app', 'module', 'enabled', 'plan'],
        mods.map((m) => [m.app, m.module, true, plan]),
      );
      await insert(
        db,
        'instances',
        [
          'id',
          'app',
          'module',
          'env',
          'plan',
          'upstream',
          'desired',
          'state',
          'generation',
          'observed_generation',
          'team_slug',
          'project_slug',
          'project_id',
          'project_owned',
          'dsn_sealed',
          'secret',
          'origin',
          'reconciled_at',
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
        ['instance_id', 'purpose', 'name', 'upstream_key_id', 'desired', 'state', 'dsn_sealed'],
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

async function insert(db: Client, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const values: unknown[] = [];
  const tuples = rows.map((r) => `(${r.map((v) => (values.push(v), `$${values.length}`)).join(', ')})`);
  await db.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
}
