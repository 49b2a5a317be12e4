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
import { importClosure, settingsConfigure } from './settings-graph';
import { Edit, FileTree, Layout, MigrationStatus, SdkMode } from './types';

export interface PatchPlan {
  status: MigrationStatus;
  edits: Edit[];
  conflicts: string[];
  notes: string[];
  /** Why this SDK (the summary's "SDK chosen and why"). */
  sdkWhy: string;
  pinsAdded: string[];
  pinsKept: string[];
  todo: string[];
}

/** raven's Django integration starts through default_app_config, which Django 4.1 removed. */
export const RAVEN_LAST_DJANGO = '4.0';

const isDjangoKind = (layout: Layout) => layout.kind !== 'flask';

/** Every file Django loads for the app's settings modules (each module and its in-tree imports). */
function loadedSettingsFiles(tree: FileTree, layout: Layout): string[] {
  const entries = layout.settingsModules?.length ? layout.settingsModules.map((e) => e.file) : [layout.targetFile];
  return [...new Set(entries.flatMap((f) => importClosure(tree, layout.root, f)))];
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
  const plan: PatchPlan = { status: 'patched', edits: [], conflicts: [], notes: [], sdkWhy: sdkWhy(layout, sdk), pinsAdded: [], pinsKept: [], todo: [] };
  const files = [layout.requirementsFile, ...(layout.targetFiles ?? [layout.targetFile]), layout.patchModuleFile].filter((f): f is string => !!f);

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

  const dj = layout.djangoVersion;
  if (sdk === 'raven' && isDjangoKind(layout) && dj && compareVersions(dj.version, '4.1') >= 0) {
    throw new DomainError(
      ErrorCode.Unsupported,
      `This app runs Django ${dj.version} (${dj.source}). raven's Django integration starts through default_app_config, which Django 4.1 removed: ` +
        `raven would be listed and send nothing. Run again with --sdk sentry-sdk (REST: sdk=sentry-sdk). Nothing was changed.`,
      { layout: layout.kind, django: dj.version, use: 'sentry-sdk' },
    );
  }

  if (layout.kind === 'blueapps' && compareVersions(layout.blueappsVersion!, BLUEAPPS_CONFIGURED_SINCE) >= 0) {
    plan.status = 'nothing-to-do';
    plan.notes.push(
      `blueapps ${layout.blueappsVersion} >= ${BLUEAPPS_CONFIGURED_SINCE}: its templates already include the Sentry configuration; nothing to do.`,
    );
    return plan;
  }

  if (!patchedBefore && isDjangoKind(layout)) {
    // "Already configured" means configured in the settings Django actually loads, not a mention of raven anywhere.
    const loaded = loadedSettingsFiles(tree, layout);
    const how = settingsConfigure(tree, loaded, sdk);
    if (how) {
      plan.status = 'nothing-to-do';
      plan.notes.push(`The settings Django loads already configure ${sdk} (${how}); nothing to do.`);
      const pkg = sdk === 'raven' ? 'raven' : 'sentry-sdk';
      if (!collectRequirements(tree, layout.requirementsFile, readText(tree, layout.requirementsFile) ?? '').some((r) => r.key === pkg)) {
        plan.todo.push(`${layout.requirementsFile} does not list ${pkg}: add it, or the settings fail to import it.`);
      }
      return plan;
    }
    const other = settingsConfigure(tree, loaded, sdk === 'raven' ? 'sentry-sdk' : 'raven');
    if (other) plan.notes.push(`The settings already configure the other SDK (${other}); patching ${sdk} as asked would report twice: consider reverting one.`);
  } else if (!patchedBefore) {
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
  plan.pinsAdded.push(...pins.lines);
  plan.pinsKept.push(...pins.kept);
  const raven = collectRequirements(tree, path, t?.decoded.text ?? '').find((r) => r.key === 'raven');
  const ravenVersion = sdk === 'raven' ? (raven ? /^==([\d.]+)$/.exec(raven.spec)?.[1] : pins.lines.find((l) => l.startsWith('raven=='))?.slice(7)) : undefined;
  if (ravenVersion && compareVersions(ravenVersion, '6.7') < 0) {
    plan.todo.push(
      `raven ${ravenVersion} needs the public:secret DSN form: enable monitoring with the legacy plan. With a modern DSN the app still starts, logs a warning and sends nothing.`,
    );
  }
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
  const eol = textOf(tree, layout.targetFile)!.decoded.eol;

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

  const importRe = new RegExp(`^\\s*(from\\s+${escapeRe(moduleName)}\\s+import|import\\s+${escapeRe(moduleName)}\\b)`, 'm');
  for (const target of layout.targetFiles ?? [layout.targetFile]) {
    const t = textOf(tree, target)!;
    const text = t.decoded.text;
    if (ourBlocks(text, target)) {
      plan.notes.push(`${target} already imports ${moduleName} (PaaS 3.0 adaptation block).`);
    } else if (importRe.test(text)) {
      plan.notes.push(`${target} already imports ${moduleName}; not wired a second time.`);
    } else {
      plan.edits.push(
        modifyEdit(
          t.file,
          t.decoded,
          appendBlock(text, block(djangoWiringBody(sdk, moduleName)), t.decoded.eol),
          `import ${moduleName} at the end of the settings`,
        ),
      );
    }
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

/** Why this SDK, for the report. */
function sdkWhy(layout: Layout, sdk: SdkMode): string {
  const dj = layout.djangoVersion ? `Django ${layout.djangoVersion.version} (${layout.djangoVersion.source})` : undefined;
  if (sdk === 'sentry-sdk') {
    return `sentry-sdk, as asked (--sdk sentry-sdk): the maintained SDK; it accepts every DSN form${dj ? ` and supports ${dj}` : ''}.`;
  }
  const bk = layout.kind === 'bk-legacy-django' || layout.kind.startsWith('blueapps');
  return (
    `raven, as asked (the default): ${bk ? "BlueKing's documented PaaS 3.0 patch" : 'raven 6.10.0, the last release, which accepts both DSN forms'}; ` +
    (layout.kind === 'flask'
      ? 'raven supports Flask apps created at import time.'
      : dj
        ? `${dj} is below 4.1, where raven still starts.`
        : 'the Django version is not pinned: raven works up to Django 4.0 (use --sdk sentry-sdk on 4.1+).')
  );
}
