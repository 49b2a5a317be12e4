import { Edit, MigrationReport } from './core/types';

/** A report as plain JSON (the CLI's --json and the REST response): edits without their bytes. */
export interface ReportJson {
  action: MigrationReport['action'];
  sdk: MigrationReport['sdk'];
  status: MigrationReport['status'];
  layout: MigrationReport['layout'];
  edits: Array<Omit<Edit, 'before' | 'after' | 'mode'> & { mode: string; bytesBefore: number | null; bytesAfter: number | null }>;
  conflicts: string[];
  notes: string[];
  /** Per app: layout, settings modules wired, SDK chosen and why, pins added or kept, what the user must still do. */
  summary: MigrationReport['summary'];
  diff: string;
}

export function reportToJson(report: MigrationReport): ReportJson {
  return {
    action: report.action,
    sdk: report.sdk,
    status: report.status,
    layout: report.layout,
    edits: report.edits.map((e) => ({
      path: e.path,
      action: e.action,
      encoding: e.encoding,
      eol: e.eol,
      mode: e.mode.toString(8).padStart(4, '0'),
      summary: e.summary,
      bytesBefore: e.before ? e.before.length : null,
      bytesAfter: e.after ? e.after.length : null,
    })),
    conflicts: report.conflicts,
    notes: report.notes,
    summary: report.summary,
    diff: report.diff,
  };
}

/** Human-readable report: layout, status, edits, conflicts, notes, then the diff. */
export function reportToText(report: MigrationReport, written: boolean | 'dry-run'): string {
  // A dry run changed nothing: it says what it would do.
  const status =
    written === 'dry-run' && report.status === 'patched'
      ? 'would patch'
      : written === 'dry-run' && report.status === 'reverted'
        ? 'would revert'
        : report.status;
  const lines = [`Layout: ${report.layout.kind} — ${report.layout.description}`, `Status: ${status} (${report.action}, sdk ${report.sdk})`];
  for (const e of report.edits) lines.push(`  ${e.action.padEnd(6)} ${e.path}  [${e.encoding}, ${e.eol}]  ${e.summary}`);
  for (const c of report.conflicts) lines.push(`Conflict: ${c}`);
  for (const n of report.notes) lines.push(`Note: ${n}`);
  lines.push(...summaryLines(report));
  if (report.diff) lines.push('', report.diff.trimEnd());
  if (report.edits.length)
    lines.push('', written === 'dry-run' ? 'Dry run: nothing was written.' : written ? `Wrote ${report.edits.length} file change(s).` : '');
  return lines.join('\n').trimEnd() + '\n';
}

/** The summary as text lines (CLI, golden files). */
export function summaryLines(report: MigrationReport): string[] {
  const s = report.summary;
  const out = [`SDK: ${s.sdk.chosen} — ${s.sdk.why}`];
  out.push(`Settings wired: ${s.settingsWired.length ? s.settingsWired.map((w) => `${w.module} (via ${w.via})`).join(', ') : 'none'}`);
  out.push(`Pins added: ${s.pins.added.length ? s.pins.added.join(', ') : 'none'}`);
  if (s.pins.kept.length) out.push(`Pins kept (the app's own): ${s.pins.kept.join(', ')}`);
  for (const t of s.todo) out.push(`To do: ${t}`);
  return out;
}
