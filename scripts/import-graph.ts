/**
 * The relative import graph of the repo's .ts files, by file and by folder (a folder is a file's own directory,
 * so a parent and its sub-folder are two nodes). Specifiers come from `import ... from`, `import '...'`,
 * `export ... from` and `import('...')`, type-only ones included; package and `node:` imports are left out.
 * test/architecture.test.ts asserts on it.
 *
 *   node scripts/import-graph.ts --cycles src     folder-level import cycles under src/, each with the imports behind it
 *   node scripts/import-graph.ts --edges bench    every folder edge under bench/ and the file imports behind it
 *   ... --with-tests                               test files (*.test.ts) included, as they are not by default
 * It reads the tree under the current directory, e.g. an older commit's:
 *   git archive 3062310 src bench | tar -x -C /tmp/old && (cd /tmp/old && node $OLDPWD/scripts/import-graph.ts --cycles src)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One relative import: both paths relative to the repo root, with '/' separators. */
export interface FileImport {
  from: string;
  to: string;
}

const SPECIFIER_BEFORE = /(?:\bfrom|\bimport\s*\(?)\s*$/;

/** Replaces comments, template literals, regex literals and strings that cannot be specifiers with spaces. */
export function blankNonCode(src: string): string {
  const out = src.split('');
  const blank = (a: number, b: number): void => {
    for (let k = a; k < b; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  let prev = ''; // last significant character of code, for the regex-or-division guess
  const templateDepth: number[] = []; // brace depth at each open `${`
  let braces = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      // Only a string right after `from`, `import` or `import(` can be a specifier; other strings are blanked.
      if (!SPECIFIER_BEFORE.test(src.slice(Math.max(0, i - 16), i))) blank(i + 1, Math.min(j, src.length));
      i = j + 1;
      prev = c;
    } else if (c === '`' || (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces)) {
      if (c === '}') templateDepth.pop();
      let j = i + 1;
      while (j < src.length && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1;
      blank(i + 1, Math.min(j, src.length));
      if (src[j] === '$') {
        templateDepth.push(braces);
        i = j + 2;
        prev = '{';
      } else {
        i = j + 1;
        prev = '`';
      }
    } else if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /\b(?:return|typeof|case|do|else|in|of|void|yield|await)\s*$/.test(src.slice(Math.max(0, i - 8), i)))) {
      let j = i + 1;
      let cls = false;
      while (j < src.length && src[j] !== '\n' && (cls || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      prev = 'a';
    } else {
      if (c === '{') braces++;
      else if (c === '}') braces--;
      if (!/\s/.test(c)) prev = c;
      i++;
    }
  }
  return out.join('');
}

const STATIC = /(?:^|[;\n}])\s*(?:import|export)\s+(?:type\s+)?[^;'"`]*?\bfrom\s*(['"])([^'"\n]+)\1/g;
const BARE = /(?:^|[;\n}])\s*import\s*(['"])([^'"\n]+)\1/g;
const DYNAMIC = /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*[,)]/g;

/** The relative specifiers ('./x.ts', '../y/z.ts') a module's source names. */
export function relativeSpecifiers(src: string): string[] {
  const code = blankNonCode(src);
  const specs: string[] = [];
  for (const re of [STATIC, BARE, DYNAMIC]) {
    for (const m of code.matchAll(re)) if (m[2]!.startsWith('.')) specs.push(m[2]!);
  }
  return specs;
}

/** Every .ts file under `dir` (repo-relative), skipping node_modules, dist and dot-folders. */
export function tsFiles(dir: string, root = REPO_ROOT): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'dist') continue;
      const p = join(abs, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(toPosix(relative(root, p)));
    }
  };
  walk(resolve(root, dir));
  return out.sort();
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** The relative imports of the given files (repo-relative paths), resolved to repo-relative targets. */
export function fileImports(files: readonly string[], root = REPO_ROOT): FileImport[] {
  const out: FileImport[] = [];
  for (const from of files) {
    for (const spec of relativeSpecifiers(readFileSync(join(root, from), 'utf8'))) {
      out.push({ from, to: toPosix(normalize(join(dirname(from), spec))) });
    }
  }
  return out;
}

export const isTestFile = (f: string): boolean => f.endsWith('.test.ts');
export const folderOf = (f: string): string => dirname(f);
/** True when `path` is `dir` itself or lies below it. */
export const isUnder = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Folder edges (a folder importing another), each with the file imports behind it. */
export function folderEdges(imports: readonly FileImport[]): Map<string, Map<string, FileImport[]>> {
  const edges = new Map<string, Map<string, FileImport[]>>();
  for (const imp of imports) {
    const a = folderOf(imp.from);
    const b = folderOf(imp.to);
    if (a === b) continue;
    let m = edges.get(a);
    if (!m) edges.set(a, (m = new Map()));
    let list = m.get(b);
    if (!list) m.set(b, (list = []));
    list.push(imp);
  }
  return edges;
}

/**
 * Folder-level cycles: for each strongly connected set of folders, the shortest cycle through each of its
 * folders, deduplicated. Each cycle is a path [a, b, ..., a].
 */
export function folderCycles(imports: readonly FileImport[]): string[][] {
  const edges = folderEdges(imports);
  const next = (n: string): string[] => [...(edges.get(n)?.keys() ?? [])].sort();
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const scc of stronglyConnected([...edges.keys()].sort(), next)) {
    if (scc.length < 2) continue;
    const inScc = new Set(scc);
    for (const start of scc) {
      const cycle = shortestCycle(start, (n) => next(n).filter((m) => inScc.has(m)));
      if (!cycle) continue;
      const body = cycle.slice(0, -1);
      const k = body.indexOf([...body].sort()[0]!);
      const key = [...body.slice(k), ...body.slice(0, k)].join(' -> ');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(cycle);
    }
  }
  return cycles;
}

function shortestCycle(start: string, next: (n: string) => string[]): string[] | null {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi]!;
    for (const m of next(n)) {
      if (m === start) {
        const path = [start];
        for (let p: string | undefined = n; p !== undefined && p !== start; p = parent.get(p)) path.unshift(p);
        path.unshift(start);
        return path;
      }
      if (!parent.has(m)) {
        parent.set(m, n);
        queue.push(m);
      }
    }
  }
  return null;
}

function stronglyConnected(nodes: string[], next: (n: string) => string[]): string[][] {
  // Tarjan's algorithm, iterative so deep trees cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { n: string; it: string[]; i: number }[] = [];
    const visit = (n: string): void => {
      index.set(n, counter);
      low.set(n, counter++);
      stack.push(n);
      onStack.add(n);
      work.push({ n, it: next(n), i: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.i < top.it.length) {
        const m = top.it[top.i++]!;
        if (!index.has(m)) visit(m);
        else if (onStack.has(m)) low.set(top.n, Math.min(low.get(top.n)!, index.get(m)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.n, Math.min(low.get(parent.n)!, low.get(top.n)!));
      if (low.get(top.n) === index.get(top.n)) {
        const scc: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          scc.push(m);
        } while (m !== top.n);
        out.push(scc.sort());
      }
    }
  }
  return out;
}

/** The imports among non-test files under `dir` (both ends under it): the graph the cycle rules check. */
export function importsWithin(dir: string, opts: { tests?: boolean } = {}, root = REPO_ROOT): FileImport[] {
  const files = tsFiles(dir, root).filter((f) => opts.tests || !isTestFile(f));
  return fileImports(files, root).filter((imp) => isUnder(imp.to, dir));
}

/** One line per cycle: `a -> b -> a`, then each edge's first file import. */
export function formatCycle(cycle: readonly string[], imports: readonly FileImport[]): string {
  const edges = folderEdges(imports);
  const lines = [cycle.join(' -> ')];
  for (let i = 0; i + 1 < cycle.length; i++) {
    const via = edges.get(cycle[i]!)?.get(cycle[i + 1]!) ?? [];
    const more = via.length > 1 ? ` (+${via.length - 1} more)` : '';
    if (via[0]) lines.push(`    ${via[0].from} imports ${via[0].to}${more}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The tree read is the current directory's, so the script can inspect another checkout (git worktree, git archive).
  const [mode, dir = 'src', flag] = process.argv.slice(2);
  const imports = importsWithin(dir, { tests: flag === '--with-tests' }, process.cwd());
  if (mode === '--cycles') {
    const cycles = folderCycles(imports);
    for (const c of cycles) console.log(formatCycle(c, imports));
    console.log(`${cycles.length} folder cycle(s) under ${dir}/ (test files ${flag === '--with-tests' ? 'included' : 'excluded'})`);
  } else if (mode === '--edges') {
    for (const [a, m] of [...folderEdges(imports)].sort(([x], [y]) => x.localeCompare(y))) {
      for (const [b, via] of [...m].sort(([x], [y]) => x.localeCompare(y))) console.log(`${a} -> ${b}  (${via.map((v) => `${v.from} -> ${v.to}`).join(', ')})`);
    }
  } else {
    console.error('usage: node scripts/import-graph.ts --cycles|--edges <dir> [--with-tests]');
    process.exitCode = 2;
  }
}
