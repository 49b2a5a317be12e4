import { posix } from 'node:path';
import { splitKeepEol, stripEol } from './text-codec';

/** One requirement line outside our blocks. */
export interface Requirement {
  name: string;
  /** Normalised (PEP 503) name. */
  key: string;
  spec: string;
  line: number;
  raw: string;
  /** Set for requirements found in an included file (-r other.txt). */
  file?: string;
}

export const normaliseName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

const REQ = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)/;

/** Requirements that name a package (comments, options like -r/-e/--index-url and URLs are skipped). */
export function parseRequirements(text: string): Requirement[] {
  const out: Requirement[] = [];
  splitKeepEol(text).forEach((rawLine, i) => {
    const raw = stripEol(rawLine);
    const t = raw.trim();
    if (!t || t.startsWith('#') || t.startsWith('-') || /^[a-z+]+:\/\//i.test(t)) return;
    const m = REQ.exec(t);
    if (!m) return;
    out.push({ name: m[1], key: normaliseName(m[1]), spec: m[3].trim().replace(/\s+/g, ''), line: i + 1, raw });
  });
  return out;
}

/** `-r`/`--requirement` includes of a requirements file, resolved inside the tree (others are ignored). */
export function includesOf(text: string, path: string): string[] {
  const out: string[] = [];
  for (const raw of splitKeepEol(text)) {
    const m = /^\s*(?:-r|--requirement)(?:\s+|=)(\S+)/.exec(stripEol(raw));
    if (!m || m[1].startsWith('/') || /^[a-z+]+:\/\//i.test(m[1])) continue;
    const target = posix.normalize(posix.join(posix.dirname(path), m[1]));
    if (!target.startsWith('../') && target !== '..') out.push(target);
  }
  return out;
}

export interface Pin {
  name: string;
  version: string;
  /** Extras to install, e.g. "django" for sentry-sdk[django]. */
  extras?: string;
}

export interface PinPlan {
  /** Lines for the block (pins not already present). */
  lines: string[];
  conflicts: string[];
  notes: string[];
  /** The app's own lines kept instead of ours (same or different spec). */
  kept: string[];
}

const pinLine = (p: Pin) => `${p.name}${p.extras ? `[${p.extras}]` : ''}${/^[<>=!~]/.test(p.version) ? p.version : `==${p.version}`}`;

/**
 * Which pins go into the block: a package the app already lists is never added a second time; if the app's
 * spec differs from ours, that is a conflict to report (the app's line is kept as is).
 */
export function planPins(existing: Requirement[], wanted: Pin[], file: string): PinPlan {
  const plan: PinPlan = { lines: [], conflicts: [], notes: [], kept: [] };
  for (const pin of wanted) {
    const ours = pinLine(pin).slice(pin.name.length + (pin.extras ? pin.extras.length + 2 : 0));
    const have = existing.find((r) => r.key === normaliseName(pin.name));
    if (have) plan.kept.push(`${have.raw.trim()} (${have.file ?? file}:${have.line})`);
    if (!have) {
      plan.lines.push(pinLine(pin));
    } else if (have.spec === ours) {
      plan.notes.push(`${have.file ?? file}:${have.line} already pins ${have.raw.trim()}; not added again.`);
    } else {
      plan.conflicts.push(
        `${have.file ?? file}:${have.line} has "${have.raw.trim()}" but the patch would pin ${pinLine(pin)}; kept the app's line, not changed.`,
      );
    }
  }
  return plan;
}

/** blueapps version from requirements ("blueapps==1.0.16"), if pinned exactly. */
export function pinnedVersion(existing: Requirement[], name: string): string | undefined {
  const r = existing.find((x) => x.key === normaliseName(name));
  const m = r && /^===?([0-9][0-9A-Za-z.+-]*)$/.exec(r.spec);
  return m ? m[1] : undefined;
}

/** Compare dotted numeric versions ("1.0.16" < "1.0.17"); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
