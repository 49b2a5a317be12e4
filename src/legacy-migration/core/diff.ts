/** Unified diff (Myers, O(ND)) over lines; the output matches `diff -u` hunk conventions. */

type Op = { kind: ' ' | '-' | '+'; line: string };

function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Backtrack.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x] });
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y] });
      else ops.push({ kind: '-', line: a[--x] });
    }
  }
  return ops.reverse();
}

const toLines = (text: string | null): string[] => {
  if (text === null || text === '') return [];
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);

/**
 * A unified diff of one file. `before`/`after` null mean the file is created/deleted. Line endings are shown
 * without `\r` (the edit itself keeps them).
 */
export function unifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  const a = toLines(before);
  const b = toLines(after);
  const ops = myers(a, b);
  if (!ops.some((o) => o.kind !== ' ')) return '';
  const header = `--- ${before === null ? '/dev/null' : `a/${path}`}\n+++ ${after === null ? '/dev/null' : `b/${path}`}\n`;
  const hunks: string[] = [];
  let i = 0;
  // Index of each op in a and b.
  const pos: Array<{ ai: number; bi: number }> = [];
  let ai = 0;
  let bi = 0;
  for (const o of ops) {
    pos.push({ ai, bi });
    if (o.kind !== '+') ai++;
    if (o.kind !== '-') bi++;
  }
  while (i < ops.length) {
    while (i < ops.length && ops[i].kind === ' ') i++;
    if (i >= ops.length) break;
    let start = Math.max(0, i - context);
    let end = i;
    // Extend while the next change is within 2*context unchanged lines.
    for (;;) {
      while (end < ops.length && ops[end].kind !== ' ') end++;
      let j = end;
      while (j < ops.length && ops[j].kind === ' ') j++;
      if (j < ops.length && j - end <= 2 * context) end = j;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    const slice = ops.slice(start, end);
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    const aStart = pos[start].ai + 1;
    const bStart = pos[start].bi + 1;
    const aR = aCount === 0 ? `${aStart - 1},0` : range(aStart, aCount);
    const bR = bCount === 0 ? `${bStart - 1},0` : range(bStart, bCount);
    hunks.push(`@@ -${aR} +${bR} @@\n` + slice.map((o) => `${o.kind}${o.line}\n`).join(''));
    i = end;
    start = end;
  }
  return header + hunks.join('');
}
