import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const h = globalThis.__SVC_SENTRY_PG__;
  if (!h) return;
  await h.pg.stop();
  rmSync(h.dataDir, { recursive: true, force: true });
}
