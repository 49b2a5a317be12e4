/**
 * Standalone Sentry stand-in for benchmarks run outside Jest:
 *   node dist/test/harness/sentry-standin/cli.js --port 9000 --latency 200 --rps 40
 * Prints one JSON line `{"url": ..., "token": ..., "orgs": [...]}` once listening; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { ALL_SCOPES, startSentryStandin } from './index';

const num = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      latency: { type: 'string' },
      rps: { type: 'string' },
      'page-size': { type: 'string' },
      orgs: { type: 'string' },
      token: { type: 'string' },
      'error-rate': { type: 'string' },
      '429-rate': { type: 'string' },
      'timeout-rate': { type: 'string' },
      'reset-rate': { type: 'string' },
      'lost-response-rate': { type: 'string' },
    },
  });
  const token = values.token ?? 'test-token';
  const orgs = values.orgs ? values.orgs.split(',').filter(Boolean) : ['acme'];
  const standin = await startSentryStandin({
    port: num(values.port) ?? 0,
    latencyMs: num(values.latency),
    requestsPerSecond: num(values.rps),
    pageSize: num(values['page-size']),
    orgs,
    tokens: { [token]: [...ALL_SCOPES] },
    errorRate: num(values['error-rate']),
    rateLimit429Rate: num(values['429-rate']),
    timeoutRate: num(values['timeout-rate']),
    resetRate: num(values['reset-rate']),
    lostResponseRate: num(values['lost-response-rate']),
  });
  process.stdout.write(`${JSON.stringify({ url: standin.url, token, orgs })}\n`);
  const stop = (): void => {
    void standin.close().then(() => {
      process.stderr.write(`${JSON.stringify({ stats: standin.stats() })}\n`);
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`sentry-standin: ${(e as Error).message}\n`);
  process.exit(1);
});
