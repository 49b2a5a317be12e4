import { DomainError, ErrorCode } from '../../common/domain-error';
import { appendBlock, block, findBlocks, insertBlockAt, outsideBlocks } from './blocks';
import { createEdit, modifyEdit, textOf } from './edit-file';
import { BLUEAPPS_CONFIGURED_SINCE, readText } from './layout';
import { compareVersions, includesOf, parseRequirements, planPins, Requirement } from './requirements';
import { splitKeepEol, stripEol, withEol } from './text-codec';
import {
  ALREADY_CONFIGURED,
  blockSdk,
  createdFileHeader,
  djangoPatchModuleBody,
  djangoWiringBody,
  flaskRavenBody,
  flaskSentrySdkBody,
  pinsFor,
  requirementsHeader,
} from './templates';
import { Edit, FileTree, Layout, MigrationStatus, SdkMode } from './types';

export interface PatchPlan {
  status: MigrationStatus;
  edits: Edit[];
  conflicts: string[];
  notes: string[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Text of our existing blocks in a file ('' if none). */
function ourBlocks(text: string, path: string): string {
  const lines = splitKeepEol(text);
  return findBlocks(lines, path)
    .map((s) => lines.slice(s.begin, s.end + 1).join(''))
    .join('');
}

export function planPatch(tree: FileTree, layout: Layout, sdk: SdkMode): PatchPlan {
  const plan: PatchPlan = { status: 'patched', edits: [], conflicts: [], notes: [] };
  const files = [layout.requirementsFile, layout.targetFile, layout.patchModuleFile].filter((f): f is string => !!f);

  // Existing blocks: same SDK → those parts are done; another SDK → refuse (mixing both would report twice).
  let patchedBefore = false;
  for (const f of files) {
    const t = textOf(tree, f);
    if (!t) continue;
    const mine = ourBlocks(t.decoded.text, f);
    if (!mine) continue;
    patchedBefore = true;
    const other = blockSdk(mine);
    if (other && other !== sdk) {
      throw new DomainError(ErrorCode.Conflict, `${f} was already patched for ${other}; run with --revert first to switch to ${sdk}. Nothing was changed.`, {
        path: f,
        patchedFor: other,
      });
    }
  }

  if (layout.kind === 'blueapps' && compareVersions(layout.blueappsVersion!, BLUEAPPS_CONFIGURED_SINCE) >= 0) {
    plan.status = 'nothing-to-do';
    plan.notes.push(
      `blueapps ${layout.blueappsVersion} >= ${BLUEAPPS_CONFIGURED_SINCE}: its templates already include the Sentry configuration; nothing to do.`,
    );
    return plan;
  }

  if (!patchedBefore) {
    const prefix = layout.root ? `${layout.root}/` : '';
    for (const [p] of tree) {
      if (!p.endsWith('.py') || !p.startsWith(prefix)) continue;
      const text = readText(tree, p);
      if (text && ALREADY_CONFIGURED[sdk].test(outsideBlocks(text, p))) {
        plan.status = 'nothing-to-do';
        plan.notes.push(`${p} already configures ${sdk} (${ALREADY_CONFIGURED[sdk].source.replace(/\\/g, '')}); nothing to do.`);
        return plan;
      }
    }
  }

  planRequirements(tree, layout, sdk, plan);
  if (layout.kind === 'flask') planFlask(tree, layout, sdk, plan);
  else planDjango(tree, layout, sdk, plan);

  if (plan.edits.length === 0) plan.status = patchedBefore ? 'already-patched' : 'nothing-to-do';
  return plan;
}

function planRequirements(tree: FileTree, layout: Layout, sdk: SdkMode, plan: PatchPlan) {
  const path = layout.requirementsFile;
  const t = textOf(tree, path);
  if (t && ourBlocks(t.decoded.text, path)) {
    plan.notes.push(`${path} already has the PaaS 3.0 adaptation block.`);
    return;
  }
  const pins = planPins(collectRequirements(tree, path, t?.decoded.text ?? ''), pinsFor(layout, sdk), path);
  plan.conflicts.push(...pins.conflicts);
  plan.notes.push(...pins.notes);
  if (pins.lines.length === 0) return;
  const summary = `add the PaaS 3.0 adaptation block (${pins.lines.join(', ')})`;
  if (t) {
    plan.edits.push(modifyEdit(t.file, t.decoded, appendBlock(t.decoded.text, block(pins.lines), t.decoded.eol), summary));
  } else {
    plan.edits.push(createEdit(path, withEol([...requirementsHeader, ...block(pins.lines)], 'lf'), 'lf', `create ${path}: ${summary}`));
  }
}

/** The requirements of the file and of the files it includes (-r), so a pin in base.txt is not added again. */
function collectRequirements(tree: FileTree, path: string, text: string): Requirement[] {
  const out = parseRequirements(text);
  const seen = new Set([path]);
  const queue = includesOf(text, path).map((p) => ({ p, depth: 1 }));
  while (queue.length) {
    const { p, depth } = queue.shift()!;
    if (seen.has(p) || depth > 4) continue;
    seen.add(p);
    const included = readText(tree, p);
    if (included === undefined) continue;
    out.push(...parseRequirements(included).map((r) => ({ ...r, file: p })));
    queue.push(...includesOf(included, p).map((q) => ({ p: q, depth: depth + 1 })));
  }
  return out;
}

function planDjango(tree: FileTree, layout: Layout, sdk: SdkMode, plan: PatchPlan) {
  const moduleFile = layout.patchModuleFile!;
  const moduleName = layout.patchModuleName!;
  const settings = textOf(tree, layout.targetFile)!;
  const eol = settings.decoded.eol;

  const existing = textOf(tree, moduleFile);
  const body = block(djangoPatchModuleBody(sdk));
  if (!existing) {
    plan.edits.push(
      createEdit(moduleFile, withEol([...createdFileHeader, ...body], eol), eol, `create ${moduleFile}: SENTRY_DSN from the environment (${sdk})`),
    );
  } else if (ourBlocks(existing.decoded.text, moduleFile)) {
    plan.notes.push(`${moduleFile} already has the PaaS 3.0 adaptation block.`);
  } else {
    plan.edits.push(
      modifyEdit(
        existing.file,
        existing.decoded,
        appendBlock(existing.decoded.text, body, existing.decoded.eol),
        `append the ${sdk} settings to the existing ${moduleFile}`,
      ),
    );
  }

  const text = settings.decoded.text;
  const importRe = new RegExp(`^\\s*(from\\s+${escapeRe(moduleName)}\\s+import|import\\s+${escapeRe(moduleName)}\\b)`, 'm');
  if (ourBlocks(text, layout.targetFile)) {
    plan.notes.push(`${layout.targetFile} already imports ${moduleName} (PaaS 3.0 adaptation block).`);
  } else if (importRe.test(text)) {
    plan.notes.push(`${layout.targetFile} already imports ${moduleName}; not wired a second time.`);
  } else {
    plan.edits.push(
      modifyEdit(
        settings.file,
        settings.decoded,
        appendBlock(text, block(djangoWiringBody(sdk, moduleName)), eol),
        `import ${moduleName} at the end of the settings`,
      ),
    );
  }
}

/** Index of the line after the statement that starts at `start` (bracket-balanced, ignoring strings roughly). */
function statementEnd(lines: string[], start: number): number {
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    const code = stripEol(lines[i])
      .replace(/(['"])(?:\\.|(?!\1).)*\1/g, '""')
      .replace(/#.*$/, '');
    for (const ch of code) {
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth--;
    }
    if (depth <= 0 && !/\\$/.test(code)) return i + 1;
  }
  return lines.length;
}

function planFlask(tree: FileTree, layout: Layout, sdk: SdkMode, plan: PatchPlan) {
  const t = textOf(tree, layout.targetFile)!;
  const text = t.decoded.text;
  if (ourBlocks(text, layout.targetFile)) {
    plan.notes.push(`${layout.targetFile} already has the PaaS 3.0 adaptation block.`);
    return;
  }
  const lines = splitKeepEol(text);
  const plain = lines.map(stripEol);
  if (layout.flaskStyle === 'factory') {
    if (sdk === 'raven') {
      throw new DomainError(
        ErrorCode.Unsupported,
        `${layout.targetFile} builds the app in create_app(); raven needs the app object at import time. Use --sdk sentry-sdk for application factories. Nothing was changed.`,
        { layout: 'flask', flaskStyle: 'factory' },
      );
    }
    let at = plain.findIndex((l) => /^def\s+create_app\s*\(/.test(l));
    while (at > 0 && plain[at - 1].startsWith('@')) at--;
    plan.edits.push(
      modifyEdit(t.file, t.decoded, insertBlockAt(text, at, block(flaskSentrySdkBody), t.decoded.eol), 'initialise sentry_sdk before create_app()'),
    );
    return;
  }
  const appVar = layout.flaskAppVar!;
  const at = plain.findIndex((l) => new RegExp(`^${escapeRe(appVar)}\\s*=\\s*Flask\\(`).test(l));
  if (sdk === 'sentry-sdk') {
    plan.edits.push(
      modifyEdit(t.file, t.decoded, insertBlockAt(text, at, block(flaskSentrySdkBody), t.decoded.eol), `initialise sentry_sdk before ${appVar} = Flask(...)`),
    );
  } else {
    const after = statementEnd(lines, at);
    plan.edits.push(
      modifyEdit(t.file, t.decoded, insertBlockAt(text, after, block(flaskRavenBody(appVar)), t.decoded.eol), `wrap ${appVar} with raven's Flask Sentry`),
    );
  }
}
