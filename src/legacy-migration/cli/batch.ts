import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDomainError } from '../../common/domain-error';
import { MigrationStatus } from '../core/types';
import { isArchivePath } from '../io/archive';
import { RunOptions } from '../io/run';
import { migrateTarget } from './target';

export interface BatchRow {
  app: string;
  layout: string;
  status: MigrationStatus | 'refused' | 'failed';
  edits: number;
  conflicts: number;
  message?: string;
}

/** The apps of a batch folder: its subdirectories and archives (outputs of earlier runs excluded). */
export function listApps(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && !/\.(patched|reverted)\.(tar\.gz|zip)$/i.test(n))
    .filter((n) => statSync(join(dir, n)).isDirectory() || isArchivePath(n))
    .sort();
}

/** Patch every app of the folder; one app's refusal does not stop the others. */
export function runBatch(dir: string, options: RunOptions, onProgress?: (done: number, total: number, app: string) => void): BatchRow[] {
  const apps = listApps(dir);
  const rows: BatchRow[] = [];
  apps.forEach((app, i) => {
    try {
      const { report } = migrateTarget(join(dir, app), options);
      rows.push({ app, layout: report.layout.kind, status: report.status, edits: report.edits.length, conflicts: report.conflicts.length });
    } catch (e) {
      rows.push({
        app,
        layout: e?.details?.layout ?? '-',
        status: isDomainError(e) ? 'refused' : 'failed',
        edits: 0,
        conflicts: 0,
        message: String(e?.message ?? e),
      });
    }
    onProgress?.(i + 1, apps.length, app);
  });
  return rows;
}

/** A dry run changed nothing: its table says what it would do. */
const DRY_RUN_STATUS: Partial<Record<BatchRow['status'], string>> = { patched: 'would patch', reverted: 'would revert' };

/** Plain-text summary table plus totals per status. */
export function summaryTable(rows: BatchRow[], opts: { dryRun?: boolean } = {}): string {
  const head = ['app', 'layout', 'status', 'edits', 'conflicts', 'message'];
  const shown = (s: BatchRow['status']) => (opts.dryRun ? (DRY_RUN_STATUS[s] ?? s) : s);
  const cells = rows.map((r) => [r.app, r.layout, shown(r.status), String(r.edits), String(r.conflicts), r.message ?? '']);
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const fmt = (c: string[]) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(shown(r.status), (totals.get(shown(r.status)) ?? 0) + 1);
  return (
    [
      fmt(head),
      fmt(widths.map((w) => '-'.repeat(w))),
      ...cells.map(fmt),
      '',
      `${rows.length} app(s): ${[...totals].map(([s, n]) => `${n} ${s}`).join(', ')}`,
    ].join('\n') + '\n'
  );
}
