import { createHash } from 'node:crypto';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  lstatSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { DomainError } from '../../../src/common/domain-error';
import { migrateTarget } from '../../../src/legacy-migration/cli/target';
import { migrateArchiveBuffer } from '../../../src/legacy-migration/io/run';
import { rawTarGz, rawZip } from './raw-archives';

/**
 * Hostile trees and archives: every case ends in a clear DomainError, and nothing is written — not in the target,
 * not next to it, not outside it.
 */
const FLASK = join(__dirname, '..', 'fixtures', 'flask-app');
let base: string;

/** Every path under dir with a hash of its content (or link target): the "nothing was written" check. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d)) {
      const abs = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs, r);
      else if (st.isSymbolicLink()) out[r] = `link`;
      else out[r] = `${st.mode.toString(8)}:${st.size > 50e6 ? `size ${st.size}` : createHash('sha1').update(readFileSync(abs)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

function expectRefusal(fn: () => unknown, code: string, message: RegExp) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DomainError);
  expect({ code: (error as DomainError).code, message: (error as DomainError).message }).toEqual({ code, message: expect.stringMatching(message) });
  expect((error as DomainError).message).toMatch(/Nothing was changed|refused|does not/);
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'legacy-hostile-'));
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), 'do not touch\n');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const app = () => {
  const dir = join(base, 'app');
  cpSync(FLASK, dir, { recursive: true });
  return dir;
};

describe('directories', () => {
  it.each([
    ['a relative link out of the tree', '../outside/secret.txt'],
    ['an absolute link', '/etc/passwd'],
    ['a linked directory outside', '../outside'],
  ])('refuses %s and writes nothing', (_what, target) => {
    const dir = app();
    symlinkSync(target, join(dir, 'escape'));
    const before = snapshot(base);
    expectRefusal(() => migrateTarget(dir, { sdk: 'sentry-sdk' }), 'InvalidInput', /symlink escape → .* points outside the tree/);
    expect(snapshot(base)).toEqual(before);
  });

  it('refuses a chain of links that ends outside (each link checked on disk too)', () => {
    const dir = app();
    mkdirSync(join(dir, 'sub'));
    symlinkSync('../outside', join(base, 'hop')); // outside the tree, pointing further out
    symlinkSync('../../hop', join(dir, 'sub', 'via'));
    const before = snapshot(base);
    expectRefusal(() => migrateTarget(dir, { sdk: 'raven' }), 'InvalidInput', /sub\/via → \.\.\/\.\.\/hop points outside the tree/);
    expect(snapshot(base)).toEqual(before);
  });

  it('leaves a virtualenv inside the app out (its links to the system python are not an escape)', () => {
    const dir = app();
    mkdirSync(join(dir, '.venv', 'bin'), { recursive: true });
    writeFileSync(join(dir, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    symlinkSync('/usr/bin/python3', join(dir, '.venv', 'bin', 'python'));
    const report = migrateTarget(dir, { sdk: 'sentry-sdk' }).report;
    expect(report.status).toBe('patched');
    expect(report.edits.some((e) => e.path.startsWith('.venv'))).toBe(false);
  });

  it('keeps links inside the tree and never edits through them', () => {
    const dir = app();
    symlinkSync('app.py', join(dir, 'alias.py'));
    const report = migrateTarget(dir, { sdk: 'sentry-sdk' }).report;
    expect(report.edits.map((e) => e.path).sort()).toEqual(['app.py', 'requirements.txt']);
    expect(lstatSync(join(dir, 'alias.py')).isSymbolicLink()).toBe(true);
  });

  it('refuses a 200 MB file (sparse, made at test time) from its size alone, quickly', () => {
    const dir = app();
    const big = join(dir, 'dump.sql');
    writeFileSync(big, '');
    truncateSync(big, 200 * 1024 * 1024);
    const before = snapshot(base);
    const t0 = Date.now();
    expectRefusal(() => migrateTarget(dir, { sdk: 'raven' }), 'PayloadTooLarge', /dump\.sql is 200\.0 MiB, over the per-file limit of 10\.0 MiB/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(snapshot(base)).toEqual(before);
  });

  it('refuses a tree over the per-tree limit', () => {
    const dir = app();
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `blob${i}.bin`), Buffer.alloc(600 * 1024, 1));
    const limits = { maxFileBytes: 1024 * 1024, maxTreeBytes: 1024 * 1024, maxFiles: 100 };
    expectRefusal(() => migrateTarget(dir, { sdk: 'raven', limits }), 'PayloadTooLarge', /over the limit of 1\.0 MiB/);
  });

  it('leaves binary files and files that are not UTF-8/GBK untouched while patching', () => {
    const dir = app();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0xff, 0xfe]);
    writeFileSync(join(dir, 'logo.png'), png);
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff, 0x0a]));
    const report = migrateTarget(dir, { sdk: 'sentry-sdk' }).report;
    expect(report.status).toBe('patched');
    expect(report.edits.map((e) => e.path)).not.toEqual(expect.arrayContaining(['logo.png']));
    expect(readFileSync(join(dir, 'logo.png')).equals(png)).toBe(true);
    expect(readFileSync(join(dir, 'latin1.txt')).equals(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff, 0x0a]))).toBe(true);
  });

  it('refuses to edit a file it cannot decode (invalid UTF-8, not GBK either) and writes nothing', () => {
    const dir = app();
    writeFileSync(join(dir, 'requirements.txt'), Buffer.concat([Buffer.from('Flask>=2.3\n# caf'), Buffer.from([0xe9, 0xff, 0x0a])]));
    const before = snapshot(base);
    expectRefusal(() => migrateTarget(dir, { sdk: 'raven' }), 'InvalidInput', /requirements\.txt cannot be decoded: neither valid UTF-8 nor GBK\/GB18030/);
    expect(snapshot(base)).toEqual(before);
  });

  it('refuses to edit a binary file it would have to change', () => {
    const dir = app();
    writeFileSync(join(dir, 'requirements.txt'), Buffer.from([0x46, 0x6c, 0, 0x61, 0x0a]));
    const before = snapshot(base);
    expectRefusal(() => migrateTarget(dir, { sdk: 'raven' }), 'InvalidInput', /requirements\.txt looks binary/);
    expect(snapshot(base)).toEqual(before);
  });
});

describe('archives', () => {
  const ok = [{ name: 'app.py', data: 'from flask import Flask\napp = Flask(__name__)\n' }];
  it.each([
    ['tar: a ../ entry', () => rawTarGz([...ok, { name: '../evil.py', data: 'x' }]), /"\.\.\/evil\.py" has a "\.\." segment/],
    ['tar: a nested ../ entry', () => rawTarGz([...ok, { name: 'a/../../evil.py', data: 'x' }]), /has a "\.\." segment/],
    ['tar: an absolute entry', () => rawTarGz([...ok, { name: '/etc/cron.d/evil', data: 'x' }]), /"\/etc\/cron\.d\/evil" is an absolute path/],
    [
      'tar: a symlink out',
      () => rawTarGz([...ok, { name: 'l', type: 'SymbolicLink', linkpath: '../../etc/passwd' }]),
      /Archive symlink l → \.\.\/\.\.\/etc\/passwd points outside the tree/,
    ],
    ['tar: an absolute symlink', () => rawTarGz([...ok, { name: 'l', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), /points outside the tree/],
    ['tar: a hard link out', () => rawTarGz([...ok, { name: 'h', type: 'Link', linkpath: '../etc/passwd' }]), /has a "\.\." segment/],
    ['tar: a device', () => rawTarGz([...ok, { name: 'dev', type: 'CharacterDevice' }]), /is a CharacterDevice/],
    ['zip: a ../ entry', () => rawZip([...ok, { name: '../evil.py', data: 'x' }]), /has a "\.\." segment/],
    ['zip: an absolute entry', () => rawZip([...ok, { name: '/tmp/evil.py', data: 'x' }]), /is an absolute path/],
    ['zip: a backslash entry', () => rawZip([...ok, { name: '..\\evil.py', data: 'x' }]), /contains a backslash/],
    [
      'zip: a symlink out',
      () => rawZip([...ok, { name: 'l', type: 'SymbolicLink', linkpath: '../outside' }]),
      /Archive symlink l → \.\.\/outside points outside the tree/,
    ],
  ])('refuses %s; no output archive is written', (_what, make, message) => {
    const isZip = _what.startsWith('zip');
    const input = join(base, isZip ? 'app.zip' : 'app.tar.gz');
    writeFileSync(input, make());
    const before = snapshot(base);
    expectRefusal(() => migrateTarget(input, { sdk: 'sentry-sdk' }), 'InvalidInput', message);
    expect(snapshot(base)).toEqual(before);
    expect(existsSync(join(base, isZip ? 'app.patched.zip' : 'app.patched.tar.gz'))).toBe(false);
  });

  it('refuses a .tar.gz holding a 200 MB entry (streamed to disk at test time) without unpacking it whole', async () => {
    const input = join(base, 'big.tar.gz');
    const header = rawTarGz([{ name: 'dump.sql', size: 200 * 1024 * 1024 }]); // header only, gzip of it
    const { gunzipSync } = await import('node:zlib');
    const headerBlock = gunzipSync(header).subarray(0, 512);
    const chunk = Buffer.alloc(1024 * 1024);
    async function* body() {
      yield headerBlock;
      for (let i = 0; i < 200; i++) yield chunk;
      yield Buffer.alloc(1024);
    }
    await pipeline(Readable.from(body()), createGzip({ level: 1 }), createWriteStream(input));
    const before = snapshot(base);
    expectRefusal(() => migrateTarget(input, { sdk: 'raven' }), 'PayloadTooLarge', /dump\.sql is 200\.0 MiB, over the per-file limit|unpacks to more than/);
    expect(snapshot(base)).toEqual(before);
  });

  it('refuses a zip entry that inflates to more than it declares', () => {
    const zip = rawZip([{ name: 'app.py', data: 'from flask import Flask\napp = Flask(__name__)\n' }]);
    // Lie in the central directory: declare 5 bytes uncompressed.
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(5, cd + 24);
    expectRefusal(() => migrateArchiveBuffer(zip, { sdk: 'sentry-sdk' }), 'InvalidInput', /Zip entry app\.py (inflates to|cannot be inflated)/);
  });
});
