import { unifiedDiff } from './diff';
import { detectLayout } from './layout';
import { planPatch } from './plan-patch';
import { planRevert } from './plan-revert';
import { decodeText } from './text-codec';
import { importClosure, moduleName } from './settings-graph';
import { Edit, FileTree, Layout, MigrateOptions, MigrationReport, MigrationSummary, TreeFile } from './types';

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
    // The SDK the removed blocks were written for (not the --sdk default): reverting a sentry-sdk patch says sentry-sdk.
    const sdk = plan.sdks.length === 1 ? plan.sdks[0] : options.sdk;
    return {
      action: 'revert',
      sdk,
      layout,
      status: plan.edits.length ? 'reverted' : 'not-patched',
      edits: plan.edits,
      diff: diffOf(plan.edits),
      conflicts: [],
      notes: plan.notes,
      summary: {
        layout: layout.description,
        settingsWired: [],
        sdk: { chosen: sdk, why: plan.sdks.length ? `the removed blocks were written for ${plan.sdks.join(' and ')}` : 'nothing of ours was found to remove' },
        pins: { added: [], kept: [] },
        todo: plan.edits.length ? ['Redeploy the app so the reverted requirements and settings take effect.'] : [],
      },
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
    summary: {
      layout: layout.description,
      settingsWired: plan.status === 'patched' || plan.status === 'already-patched' ? settingsWired(tree, layout) : [],
      sdk: { chosen: options.sdk, why: plan.sdkWhy },
      pins: { added: plan.pinsAdded, kept: plan.pinsKept },
      todo: [
        ...(plan.status === 'patched' ? ['Redeploy the app (the new requirements install at build time); SENTRY_DSN comes from the platform.'] : []),
        ...plan.todo,
      ],
    },
  };
}

/** Which settings modules (or Flask module) load the patch, and through which file. */
function settingsWired(tree: FileTree, layout: Layout): MigrationSummary['settingsWired'] {
  if (layout.kind === 'flask') return [{ module: moduleName(layout.root, layout.targetFile), via: layout.targetFile }];
  const targets = layout.targetFiles ?? [layout.targetFile];
  const out: MigrationSummary['settingsWired'] = [];
  const seen = new Set<string>();
  const add = (module: string, file: string) => {
    if (seen.has(module)) return;
    const via = importClosure(tree, layout.root, file).find((f) => targets.includes(f));
    if (via) {
      seen.add(module);
      out.push({ module, via });
    }
  };
  for (const e of layout.settingsModules ?? []) add(e.module, e.file);
  if (layout.kind.startsWith('blueapps')) {
    // blueapps' settings.py loads config.<env> by BK_ENV: each of them is a module the app can start with.
    const dir = layout.root ? `${layout.root}/config/` : 'config/';
    for (const p of [...tree.keys()].sort()) {
      const name = p.slice(dir.length);
      if (p.startsWith(dir) && /^\w+\.py$/.test(name) && !['__init__.py', 'default.py', 'settings_patch.py'].includes(name)) add(moduleName(layout.root, p), p);
    }
  }
  if (out.length === 0) for (const t of targets) add(moduleName(layout.root, t), t);
  return out;
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
