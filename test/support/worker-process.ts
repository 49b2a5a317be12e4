import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { waitFor } from './app';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** svc-sentry as a real child process (built main.js), e.g. a worker to SIGKILL mid-flight. */
export async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, SVC_SENTRY_ROLE: 'worker', HOST: '127.0.0.1', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (out = (out + d).slice(-20_000)));
  return Object.assign(child, { output: () => out });
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A pino log line of main.js. */
export interface LogLine {
  level: number;
  msg: string;
  pid: number;
  context?: string;
}

/** The built main.js as a child process, once /healthz answers; its output parsed as pino JSON lines. */
export async function startMain(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number; base: string; lines: () => LogLine[]; raw: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode}:\n${out}`);
      return (await fetch(`${base}/healthz`).catch(() => null))?.status === 200;
    },
    90_000,
    300,
  );
  return { child, port, base, lines, raw: () => out };
}
