import { unifiedDiff } from './diff';
import { detectLayout } from './layout';
import { planPatch } from './plan-patch';
import { planRevert } from './plan-revert';
import { decodeText } from './text-codec';
import { Edit, FileTree, MigrateOptions, MigrationReport, TreeFile } from './types';

const shown = (data: Buffer | null): string | null => {
  if (data === null) return null;
  const d = decodeText(data);
  return d.kind === 'text' ? d.text : '';
};

export function diffOf(edits: Edit[]): string {
  return edits.map((e) => unifiedDiff(e.path, shown(e.before), shown(e.after))).join('');
}

/**
 * The patcher: a file tree in, a report (layout found, edits, unified diff, conflicts) out. Pure: no I/O.
 * Throws DomainError (InvalidInput / Unsupported / Conflict) on refusal.
 */
export function migrate(tree: FileTree, options: MigrateOptions): MigrationReport {
  const layout = detectLayout(tree);
  if (options.revert) {
    const plan = planRevert(tree, layout.root);
    return {
      action: 'revert',
      sdk: options.sdk,
      layout,
      status: plan.edits.length ? 'reverted' : 'not-patched',
      edits: plan.edits,
      diff: diffOf(plan.edits),
      conflicts: [],
      notes: plan.notes,
    };
  }
  const plan = planPatch(tree, layout, options.sdk);
  return {
    action: 'patch',
    sdk: options.sdk,
    layout,
    status: plan.status,
    edits: plan.edits,
    diff: diffOf(plan.edits),
    conflicts: plan.conflicts,
    notes: plan.notes,
  };
}

/** The tree after the edits (a new map; the input is not modified). */
export function applyEdits(tree: FileTree, edits: Edit[]): Map<string, TreeFile> {
  const out = new Map(tree);
  for (const e of edits) {
    if (e.action === 'delete') out.delete(e.path);
    else out.set(e.path, { path: e.path, data: e.after!, mode: e.mode });
  }
  return out;
}

/** Build a tree from plain strings/buffers (tests, the bench, callers holding files in memory). */
export function treeFrom(files: Record<string, string | Buffer | { data: string | Buffer; mode?: number; symlinkTarget?: string }>): Map<string, TreeFile> {
  const out = new Map<string, TreeFile>();
  for (const [path, v] of Object.entries(files)) {
    const spec = typeof v === 'string' || Buffer.isBuffer(v) ? { data: v } : v;
    const data = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : spec.data;
    out.set(path, { path, data, mode: spec.mode ?? 0o644, ...(spec.symlinkTarget !== undefined ? { symlinkTarget: spec.symlinkTarget } : {}) });
  }
  return out;
}
