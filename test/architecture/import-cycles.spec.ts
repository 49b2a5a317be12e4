import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * Module boundaries: the import edges between the top-level folders of src/ (files directly in src/ are the
 * composition root, `(root)`) must form no cycle, and neither may the files themselves. Every import counts,
 * `import type` and `export … from` included: a type-only edge still ties the folders' designs together.
 */
const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.(spec|e2e-spec|int-spec)\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a relative specifier resolves to, or undefined for a package or a non-TypeScript file. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const js = base.replace(/\.js$/, '.ts');
  return existsSync(js) ? js : undefined;
}

function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '(root)' : parts[0];
}

/** Strongly connected components with more than one node (or a self-loop), by Tarjan's algorithm. */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** One concrete loop through a component, e.g. `instances -> reconcile -> instances`, with the files that make each edge. */
function describeLoop(scc: string[], graph: Map<string, Set<string>>, why?: Map<string, string[]>): string {
  const members = new Set(scc);
  const start = scc[0];
  // Breadth-first from start back to start inside the component: the shortest loop.
  const prev = new Map<string, string>();
  const queue = [start];
  let found = false;
  while (queue.length && !found) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        prev.set(start, v);
        found = true;
        break;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [start];
  for (let v = prev.get(start)!; v !== start; v = prev.get(v)!) path.unshift(v);
  path.unshift(start);
  const steps = path.slice(0, -1).map((v, i) => {
    const files = why?.get(`${v} -> ${path[i + 1]}`);
    return `  ${v} -> ${path[i + 1]}${files ? ` (${files.slice(0, 3).join(', ')}${files.length > 3 ? `, +${files.length - 3}` : ''})` : ''}`;
  });
  // Every edge inside the component: breaking any loop means removing some of these.
  const inside = scc.flatMap((v) =>
    [...(graph.get(v) ?? [])]
      .filter((w) => members.has(w))
      .sort()
      .map((w) => `    ${v} -> ${w}${why?.get(`${v} -> ${w}`) ? ` (${why.get(`${v} -> ${w}`)!.join('; ')})` : ''}`),
  );
  return `cycle through {${scc.join(', ')}}, e.g.:\n${steps.join('\n')}\n  edges inside it:\n${inside.join('\n')}`;
}

function buildGraphs() {
  const files = sourceFiles(SRC);
  const fileGraph = new Map<string, Set<string>>();
  const folderGraph = new Map<string, Set<string>>();
  const why = new Map<string, string[]>();
  for (const file of files) {
    const rel = relative(SRC, file);
    const from = folderOf(file);
    if (!folderGraph.has(from)) folderGraph.set(from, new Set());
    const targets = new Set<string>();
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const target = resolveImport(file, ref.fileName);
      // Packages, and files outside src/ (migrations/): not part of src/'s folder graph.
      if (!target || relative(SRC, target).startsWith('..')) continue;
      targets.add(relative(SRC, target));
      const to = folderOf(target);
      if (to === from) continue;
      folderGraph.get(from)!.add(to);
      const key = `${from} -> ${to}`;
      why.set(key, [...(why.get(key) ?? []), `${rel} imports ${relative(SRC, target)}`]);
    }
    fileGraph.set(rel, targets);
  }
  return { files, fileGraph, folderGraph, why };
}

describe('import boundaries of src/', () => {
  const { files, fileGraph, folderGraph, why } = buildGraphs();

  it('reads every source file and finds the edges', () => {
    expect(files.length).toBeGreaterThan(50);
    // The composition root reaches every folder: if it did not, the parser lost imports.
    expect([...folderGraph.get('(root)')!].length).toBeGreaterThan(5);
  });

  it('has no cycle between top-level folders', () => {
    const edges = [...folderGraph].sort(([a], [b]) => a.localeCompare(b)).map(([from, to]) => `${from} -> ${[...to].sort().join(', ') || '(nothing)'}`);
    console.log(`import edges between src/ folders:\n${edges.join('\n')}`);
    const found = cycles(folderGraph);
    expect(found.map((scc) => describeLoop(scc, folderGraph, why))).toEqual([]);
  });

  it('has no cycle between files', () => {
    const found = cycles(fileGraph);
    expect(found.map((scc) => describeLoop(scc, fileGraph))).toEqual([]);
  });
});

describe('cycles()', () => {
  it('finds a loop and ignores a chain', () => {
    const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));
    expect(cycles(g({ a: ['b'], b: ['c'], c: [] }))).toEqual([]);
    expect(cycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(cycles(g({ a: ['a'] }))).toEqual([['a']]);
  });
});
