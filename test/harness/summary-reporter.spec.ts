import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The closing line `tests: N passed, M failed, K skipped` and the prerequisite rule (skip visibly outside CI,
 * fail under CI=true), checked by running Jest itself in a child process: on fixture test files, and on the
 * repository's real suites with a prerequisite taken away through the environment.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'fixtures', 'summary');
const JEST = require.resolve('jest/bin/jest');
const LINE = /^tests: \d+ passed, \d+ failed, \d+ skipped$/;

interface Run {
  code: number | null;
  output: string;
  lastLine: string;
}

function jest(config: string, args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [JEST, '--config', join(FIXTURES, config), '--runInBand', '--colors=false', ...args], {
      cwd: ROOT,
      env: { ...process.env, SVC_SENTRY_TEST_TOOL_PYTHON3: undefined, SVC_SENTRY_TEST_KUBE_CACHE: undefined, ...env, FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.trimEnd().split('\n');
      resolve({ code, output: `${stderr}\n${stdout}`, lastLine: lines[lines.length - 1] });
    });
  });
}

/** PATH without any directory that holds a `go` executable. */
const pathWithoutGo = () =>
  (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d && !existsSync(join(d, 'go')))
    .join(delimiter);

describe('summary line', () => {
  it('counts failed tests, suites that throw while loading and suites failing outside a test; skipped too', async () => {
    const r = await jest('jest.fixture.config.js', [], { CI: 'false' });
    expect(r.code).toBe(1);
    // passes.check.js: 1 passed + 1 skipped; fails.check.js: 1 failed; throws-while-loading.check.js: 1 failed
    // suite (0 tests); after-all-fails.check.js: 1 passed test, then the suite fails in afterAll.
    expect(r.lastLine).toBe('tests: 2 passed, 3 failed, 1 skipped');
  }, 120_000);

  it('a run whose only suite throws while loading reports it as failed', async () => {
    const r = await jest('jest.fixture.config.js', ['throws-while-loading'], { CI: 'false' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('prerequisite missing (fixture)');
    expect(r.lastLine).toBe('tests: 0 passed, 1 failed, 0 skipped');
  }, 120_000);

  it('an all-green run says 0 failed, and the line stays alone on the last line', async () => {
    const r = await jest('jest.fixture.config.js', ['passes'], { CI: 'false' });
    expect(r.code).toBe(0);
    expect(r.lastLine).toMatch(LINE);
    expect(r.lastLine).toBe('tests: 1 passed, 0 failed, 1 skipped');
  }, 120_000);
});

describe('missing prerequisites on the real suites', () => {
  const emptyCache = mkdtempSync(join(tmpdir(), 'no-kube-cache-'));
  afterAll(() => rmSync(emptyCache, { recursive: true, force: true }));
  const noGo = () => ({ PATH: pathWithoutGo(), SVC_SENTRY_TEST_KUBE_CACHE: emptyCache });

  it('without Go and cached Kubernetes binaries, under CI=true the cluster suite fails and the last line says so', async () => {
    const r = await jest('jest.repo.config.js', ['--runTestsByPath', 'test/kubernetes/secrets.int-spec.ts'], { ...noGo(), CI: 'true' });
    expect(r.output).toContain('no Go toolchain is on PATH');
    expect(r.code).toBe(1);
    expect(r.lastLine).toMatch(/^tests: 0 passed, [1-9]\d* failed, 0 skipped$/);
  }, 180_000);

  it('without Go and cached Kubernetes binaries, outside CI the cluster suite is skipped with the reason', async () => {
    const r = await jest('jest.repo.config.js', ['--runTestsByPath', 'test/kubernetes/secrets.int-spec.ts'], { ...noGo(), CI: 'false' });
    expect(r.code).toBe(0);
    expect(r.output).toContain('[skipped] Kubernetes test cluster is required but missing');
    expect(r.lastLine).toMatch(/^tests: 0 passed, 0 failed, [1-9]\d* skipped$/);
  }, 180_000);

  const noPython = { SVC_SENTRY_TEST_TOOL_PYTHON3: join(emptyCache, 'bin', 'python3') };

  it('without Python, outside CI the real run is skipped (counted as skipped) with the reason', async () => {
    const r = await jest('jest.repo.config.js', ['--runTestsByPath', 'test/legacy/real-run.int-spec.ts'], { ...noPython, CI: 'false' });
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/\[skipped\] python3 is required but missing: python3 not found at .*SVC_SENTRY_TEST_TOOL_PYTHON3.*apt-get install/);
    expect(r.lastLine).toBe('tests: 0 passed, 0 failed, 4 skipped');
  }, 180_000);

  it('without Python, under CI=true the real run fails', async () => {
    const r = await jest('jest.repo.config.js', ['--runTestsByPath', 'test/legacy/real-run.int-spec.ts'], { ...noPython, CI: 'true' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('CI=true: a missing prerequisite fails the run instead of skipping');
    expect(r.lastLine).toBe('tests: 0 passed, 1 failed, 0 skipped');
  }, 180_000);

  it('without Python, under CI=true the fixture suite that checks python3 while loading counts as failed', async () => {
    const r = await jest('jest.repo.config.js', ['--runTestsByPath', 'test/legacy/fixtures.spec.ts'], { ...noPython, CI: 'true' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('python3 is required under CI=true');
    expect(r.lastLine).toBe('tests: 0 passed, 1 failed, 0 skipped');
  }, 180_000);
});
