/**
 * Prerequisites of the suites (a Go toolchain, Python 2.7 / 3, buildah, chromium, helm, …): one rule for all.
 *
 * - Present: the suite runs.
 * - Missing outside CI: the suite is skipped VISIBLY — Jest counts its tests as skipped and the suite title
 *   carries the reason and the install command; a `[skipped] …` warning is printed as well.
 * - Missing under `CI=true`: the suite FAILS (one failing test whose error says what is missing and how to
 *   install it), so a CI run can never turn green without having run it.
 *
 * Usage (at the top level of a spec file, synchronous):
 *
 *   import { requireTool } from '../harness/prerequisites';
 *   const buildah = requireTool('buildah', 'apt-get install -y buildah');
 *   buildah.describe('image build with buildah', () => {
 *     it('builds', async () => { spawnSync(buildah.command, ['bud', …]); });
 *   });
 *   // or a single test: buildah.it('builds', async () => { … }, 600_000);
 *
 *   // a probe other than `<tool> --version`:
 *   const py3 = requireTool('python3', 'apt-get install -y python3 python3-venv', { args: ['-c', 'import venv'] });
 *
 *   // a prerequisite that is not one command (a cache, a built binary, …): give the reason it is missing.
 *   const kube = requirePrerequisite('Kubernetes test binaries', haveThem ? undefined : 'not cached and no Go on PATH: …');
 *
 * Every tool can be pointed elsewhere with `SVC_SENTRY_TEST_TOOL_<NAME>` (name upper-cased, other characters
 * as `_`): `SVC_SENTRY_TEST_TOOL_PYTHON3=/opt/py/bin/python3`, `SVC_SENTRY_TEST_TOOL_PYTHON2_7=…`. Pointing it at
 * a path that does not exist is how the harness's own tests prove the skip / fail behaviour.
 */
import { spawnSync } from 'node:child_process';

export interface Prerequisite {
  /** What is required, e.g. `python3`. */
  name: string;
  available: boolean;
  /** Why it is missing (with how to install it); undefined when available. */
  reason?: string;
  /** The command to run for a tool (its override from the environment, else its name). */
  command: string;
  /** `describe` when available; else a visibly skipped describe (outside CI) or a failing one (CI=true). */
  describe(name: string, fn: () => void): void;
  /** `it` when available; else a visibly skipped test (outside CI) or a failing one (CI=true). */
  it(name: string, fn: jest.ProvidesCallback, timeout?: number): void;
}

export const underCi = (): boolean => process.env.CI === 'true';

/** The environment variable that overrides where a tool is found: SVC_SENTRY_TEST_TOOL_PYTHON2_7 for `python2.7`. */
export function toolEnvVar(tool: string): string {
  return `SVC_SENTRY_TEST_TOOL_${tool.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The command for a tool: its override from the environment, else the tool name (looked up on PATH). */
export function toolCommand(tool: string): string {
  return process.env[toolEnvVar(tool)] || tool;
}

/**
 * Runs `<command> <args>` (default `--version`); undefined when it exits 0, else why it is missing.
 */
export function probeTool(tool: string, install: string, args: string[] = ['--version']): string | undefined {
  const command = toolCommand(tool);
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  const via = command === tool ? 'on PATH' : `at ${command} (from ${toolEnvVar(tool)})`;
  if (r.error) return `${tool} not found ${via} (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install it: ${install}`;
  if (r.status !== 0) {
    const last = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').pop() ?? '';
    return `${tool} ${via} failed \`${[command, ...args].join(' ')}\` (exit ${r.status}${last ? `: ${last.slice(0, 200)}` : ''}); install it: ${install}`;
  }
  return undefined;
}

const warned = new Set<string>();

/** A prerequisite that is available when `reason` is undefined. */
export function requirePrerequisite(name: string, reason: string | undefined, command = name): Prerequisite {
  if (reason === undefined) {
    return { name, available: true, command, describe: (n, fn) => describe(n, fn), it: (n, fn, t) => it(n, fn, t) };
  }
  const message = `${name} is required but missing: ${reason}`;
  if (underCi()) {
    const fail = () => {
      throw new Error(`${message} (CI=true: a missing prerequisite fails the run instead of skipping)`);
    };
    return {
      name,
      available: false,
      reason,
      command,
      describe: (n) => describe(n, () => it(`prerequisite ${name}`, fail)),
      it: (n) => it(`${n} (prerequisite ${name})`, fail),
    };
  }
  if (!warned.has(message)) {
    warned.add(message);
    console.warn(`[skipped] ${message}`);
  }
  return {
    name,
    available: false,
    reason,
    command,
    describe: (n, fn) => describe.skip(`${n} [skipped: ${message}]`, fn),
    it: (n, fn, t) => it.skip(`${n} [skipped: ${message}]`, fn, t),
  };
}

/** A command-line tool; see the file comment. */
export function requireTool(tool: string, install: string, opts: { args?: string[] } = {}): Prerequisite {
  return requirePrerequisite(tool, probeTool(tool, install, opts.args), toolCommand(tool));
}
