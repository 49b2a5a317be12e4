import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';
import { MIGRATIONS } from '../../migrations';
import { freshDatabase, query } from '../harness/database';
import { requirePrerequisite, toolCommand } from '../harness/prerequisites';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { API_TOKEN, upstreamEnv, waitFor } from '../support/app';

/**
 * The container image as `npm run image` builds it, run the way a Kubernetes node runs it: its root filesystem
 * (buildah mount) mounted read-only, a tmpfs on /tmp, a fresh PID namespace (node is PID 1), the image's user,
 * environment, working directory and entrypoint — via unshare, since there is no container engine here
 * (`buildah run` cannot make the root read-only). Chroot shares the host network, so 127.0.0.1 reaches the
 * test PostgreSQL and the Sentry stand-in.
 */
const ROOT = join(__dirname, '..', '..');
const IMAGE = 'localhost/svc-sentry:dev';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function missing(): string | undefined {
  // SVC_SENTRY_TEST_TOOL_BUILDAH=/nonexistent (etc.) shows the skip / CI failure, as for every prerequisite.
  const tools = ['buildah', 'mmdebstrap', 'unshare'].filter((t) => spawnSync('sh', ['-c', 'command -v "$1"', 'probe', toolCommand(t)]).status !== 0);
  const problems = tools.length ? [`${tools.join(', ')} not found (apt-get install -y buildah mmdebstrap)`] : [];
  if (process.getuid?.() !== 0) problems.push('not root (mmdebstrap, buildah --isolation chroot and unshare need root)');
  return problems.length ? problems.join('; ') : undefined;
}

const image = requirePrerequisite('container image tools (buildah, mmdebstrap, root)', missing());

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

interface ImageConfig {
  User: string;
  Env: string[];
  WorkingDir: string;
  Entrypoint: string[];
  ExposedPorts: Record<string, unknown>;
  Labels: Record<string, string>;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Mount namespace: the image root bound read-only, /dev, a fresh /proc (of the new PID namespace) and a tmpfs /tmp;
// then chroot + chdir + drop to the image's user and exec its entrypoint (node becomes PID 1).
const RUNTIME = `set -e
R="$1"; WD="$2"; U="$3"; G="$4"; shift 4
mkdir -p "$R/proc" "$R/dev" "$R/tmp"
mount --bind "$R" "$R"
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=1777,size=128m tmpfs "$R/tmp"
mount -o remount,bind,ro "$R"
exec unshare --root="$R" --wd="$WD" --setgid "$G" --setuid "$U" -- "$@"`;

/** The image's ENV as an object. */
const imageEnvOf = (config: ImageConfig): Record<string, string> =>
  Object.fromEntries(config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

/** A file of a running process under procfs (`root` reaches into its root filesystem). */
const procFile = (pid: number, ...parts: string[]) => join('/proc', String(pid), ...parts);

function runImage(rootfs: string, config: ImageConfig, env: Record<string, string>, args: string[] = []): Running {
  const [uid, gid] = config.User.split(':');
  const imageEnv = imageEnvOf(config);
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      RUNTIME,
      'runtime',
      rootfs,
      config.WorkingDir,
      uid,
      gid ?? uid,
      ...config.Entrypoint,
      ...args,
    ],
    { env: { ...imageEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-50_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-50_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** The host PID of the process running inside (the child of unshare --fork, after its execs). */
function innerPid(r: Running): number | undefined {
  try {
    const kids = readFileSync(procFile(r.child.pid!, 'task', String(r.child.pid), 'children'), 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (kids.length !== 1) return undefined;
    const pid = Number(kids[0]);
    return readFileSync(procFile(pid, 'cmdline'), 'utf8').startsWith('node\0') ? pid : undefined;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: string): string {
  const line = readFileSync(procFile(pid, 'status'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return (line ?? '').slice(field.length + 1).trim();
}

/** Every path under dir (relative), without following symlinks. */
function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...walk(dir, p));
  }
  return out;
}

image.describe('container image (npm run image)', () => {
  let container: string;
  let rootfs: string;
  let config: ImageConfig;
  let buildLog = '';

  beforeAll(async () => {
    // Exactly what `npm run image` runs (cached base images and layers make a warm run quick).
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const b = spawn('npm', ['run', 'image', '--silent'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      b.stdout.on('data', (d) => (buildLog = (buildLog + d).slice(-100_000)));
      b.stderr.on('data', (d) => (buildLog = (buildLog + d).slice(-100_000)));
      b.on('error', reject);
      b.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`npm run image exited ${code}:\n${buildLog.slice(-5000)}`);
    console.log(
      JSON.stringify({
        suite: 'image',
        buildSeconds: Math.round((Date.now() - started) / 1000),
        summary: buildLog.split('\n').filter((l) => l.startsWith('image: ')),
      }),
    );
    container = sh('buildah', ['from', '--pull=never', IMAGE]);
    rootfs = sh('buildah', ['mount', container]);
    config = JSON.parse(sh('buildah', ['inspect', '--type', 'image', IMAGE])).OCIv1.config;
  }, 45 * 60_000);

  afterAll(() => {
    if (container) spawnSync('buildah', ['rm', container]);
  });

  it('is small, labelled, runs as UID 10001 with node as entrypoint, and exposes 8080 and 8443', () => {
    const size = JSON.parse(sh('buildah', ['images', '--json', IMAGE]))[0].size as string;
    const mb = Number(/^([\d.]+) MB$/.exec(size)?.[1] ?? NaN);
    expect(mb).toBeLessThan(250);
    expect(config.User).toBe('10001:10001');
    expect(config.Entrypoint).toEqual(['node', 'dist/src/main.js']);
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['8080/tcp', '8443/tcp']);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'svc-sentry',
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    // The commit it was built from (HEAD then; other commits may have landed since).
    const revision = config.Labels['org.opencontainers.image.revision'];
    expect(revision).toMatch(/^[0-9a-f]{40}$/);
    expect(spawnSync('git', ['-C', ROOT, 'merge-base', '--is-ancestor', revision, 'HEAD']).status).toBe(0);
    expect(config.Env).toEqual(expect.arrayContaining(['SVC_SENTRY_DATA_DIR=/tmp/svc-sentry', 'NODE_ENV=production']));
    const archive = join(ROOT, '.cache', 'image', `svc-sentry-${pkg.version}.oci.tar`);
    expect(statSync(archive).size).toBeGreaterThan(10_000_000);
  });

  it('holds production dependencies only: no devDependencies, no embedded PostgreSQL, no compiler, no type definitions or source maps', () => {
    const modules = join(rootfs, 'app', 'node_modules');
    expect(existsSync(join(modules, '@nestjs', 'core'))).toBe(true);
    const present = Object.keys(pkg.devDependencies).filter((d) => existsSync(join(modules, d)));
    expect(present).toEqual([]);
    for (const gone of ['typescript', 'jest', '@swc', '@types', 'prettier', 'embedded-postgres', '@embedded-postgres'])
      expect(existsSync(join(modules, gone))).toBe(false);
    const files = walk(rootfs).filter((p) => !p.startsWith('proc/') && !p.startsWith('dev/'));
    const programs = files.filter((p) => /(^|\/)(postgres|initdb|pg_ctl|tsc|swc)$/.test(p) && !lstatSync(join(rootfs, p)).isDirectory());
    expect(programs).toEqual([]);
    expect(files.filter((p) => p.startsWith('app/') && /\.(d\.ts|map|ts)$/.test(p))).toEqual([]);
    // The application files are root's and not writable by the app user.
    for (const p of ['app', 'app/dist/src/main.js', 'app/node_modules']) {
      const s = statSync(join(rootfs, p));
      expect({ p, uid: s.uid, writableByOthers: (s.mode & 0o022) !== 0 }).toEqual({ p, uid: 0, writableByOthers: false });
    }
  });

  describe('running', () => {
    let standin: SentryStandin;
    beforeAll(async () => {
      standin = await startSentryStandin({ orgs: ['acme'] });
    });
    afterAll(async () => {
      await standin?.close();
    });

    it('read-only root, node as PID 1 with UID 10001: /readyz 200, a REST toggle reaches ready in both environments, SIGTERM exits 0', async () => {
      const db = await freshDatabase('img');
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const run = runImage(rootfs, config, {
        ...upstreamEnv(standin.url),
        SVC_SENTRY_LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        PORT: String(port),
      });
      try {
        await waitFor(
          async () => {
            if (run.child.exitCode !== null) throw new Error(`the image exited with ${run.child.exitCode}`);
            return (await fetch(`${base}/readyz`).catch(() => null))?.status === 200;
          },
          180_000,
          500,
        ).catch((e) => {
          throw new Error(`${e}\n${run.output()}`);
        });
        const pid = innerPid(run)!;
        expect(pid).toBeGreaterThan(0);
        expect(statusField(pid, 'Uid').split(/\s+/)).toEqual(['10001', '10001', '10001', '10001']);
        expect(statusField(pid, 'Gid').split(/\s+/)[0]).toBe('10001');
        expect(statusField(pid, 'NSpid').split(/\s+/)).toEqual([String(pid), '1']);
        // The root is read-only; the generated encryption key went to /tmp (SVC_SENTRY_DATA_DIR).
        expect(readFileSync(procFile(pid, 'mounts'), 'utf8')).toMatch(/ \/ \S+ ro[,\s]/);
        expect(readFileSync(procFile(pid, 'root', imageEnvOf(config).SVC_SENTRY_DATA_DIR, 'encryption-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);

        const headers = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
        const put = await fetch(`${base}/api/v1/apps/imgapp/modules/default/monitoring`, { method: 'PUT', headers, body: JSON.stringify({ enabled: true }) });
        expect([200, 201, 202]).toContain(put.status);
        const settled = await waitFor(
          async () => {
            const body = (await (await fetch(`${base}/api/v1/apps/imgapp/modules/default/monitoring`, { headers })).json()) as any;
            const envs = Object.values<any>(body.environments ?? {});
            return envs.length === 2 && envs.every((e) => e.state === 'ready') ? body : undefined;
          },
          120_000,
          500,
        ).catch((e) => {
          throw new Error(`${e}\n${run.output()}`);
        });
        expect(Object.keys(settled.environments).sort()).toEqual(['prod', 'stag']);
        expect(
          standin.state
            .projects('acme')
            .map((p) => p.slug)
            .sort(),
        ).toEqual(['imgapp-default-prod', 'imgapp-default-stag']);

        const t0 = Date.now();
        process.kill(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const exit = await Promise.race([run.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 60_000)))]);
        clearTimeout(timer);
        console.log(JSON.stringify({ suite: 'image', sigtermExitMs: Date.now() - t0, exit }));
        expect({ exit, output: exit === 'timeout' || exit.code !== 0 ? run.output().slice(-3000) : '' }).toEqual({
          exit: { code: 0, signal: null },
          output: '',
        });
      } finally {
        run.child.kill('SIGKILL');
        await run.exited;
        await db.drop();
      }
    }, 600_000);

    it('role migrate migrates an empty database and exits 0 (the chart hook Job)', async () => {
      const admin = new Client(process.env.SVC_SENTRY_TEST_DATABASE_URL);
      const name = `img_migrate_${randomBytes(4).toString('hex')}`;
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(process.env.SVC_SENTRY_TEST_DATABASE_URL!);
      u.pathname = `/${name}`;
      try {
        const run = runImage(rootfs, config, { SVC_SENTRY_ROLE: 'migrate', DATABASE_URL: u.toString() });
        const exit = await run.exited;
        expect({ exit, out: exit.code === 0 ? '' : run.output() }).toEqual({ exit: { code: 0, signal: null }, out: '' });
        expect(
          run
            .output()
            .split('\n')
            .filter((l) => l.includes('applied migration')),
        ).toHaveLength(MIGRATIONS.length);
        expect(await query(u.toString(), 'SELECT name FROM svc_sentry_migrations')).toHaveLength(MIGRATIONS.length);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    }, 300_000);

    it('without DATABASE_URL it exits 2 saying to set it (the image has no embedded PostgreSQL)', async () => {
      const run = runImage(rootfs, config, {});
      const exit = await run.exited;
      expect(exit).toEqual({ code: 2, signal: null });
      expect(run.output()).toContain('DATABASE_URL is not set and the embedded PostgreSQL is not installed here');
    }, 300_000);
  });
});
