/**
 * What ships: `npm run build` compiles only the code the picker runs, and `npm pack` carries no test helper,
 * test or benchmark. Test helpers live in test/support/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { fileImports, REPO_ROOT, tsFiles } from '../scripts/import-graph.ts';

const run = promisify(execFile);
const TSC = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
/** What bin/epp.js runs from dist/ (dist/src/main.js). */
const ENTRY_POINTS = ['src/main.ts'];

const isHelperPath = (p: string): boolean => /(^|\/)(test|bench)\//.test(p) || /\.test(-util)?\.[cm]?[jt]s(\.map)?$/.test(p) || /(^|\/)testing\.[jt]s$/.test(p);

/** Repo-relative .ts files that tsconfig.build.json compiles (tsc lists them without emitting). */
async function buildInputs(): Promise<string[]> {
  const { stdout } = await run(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  return stdout
    .split('\n')
    .filter((l) => l !== '' && !l.includes('/node_modules/'))
    .map((l) => relative(REPO_ROOT, l))
    .sort();
}

/** Files reachable from `entries` through relative imports (dynamic ones included). */
function reachable(entries: readonly string[]): Set<string> {
  const next = new Map<string, string[]>();
  for (const imp of fileImports(tsFiles('src'))) {
    let list = next.get(imp.from);
    if (!list) next.set(imp.from, (list = []));
    list.push(imp.to);
  }
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...(next.get(f) ?? []));
  }
  return seen;
}

/** The problems with a build input list: helpers by path, and files the shipped code never imports. */
export function buildProblems(inputs: readonly string[], used: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const f of inputs) {
    if (isHelperPath(f)) problems.push(`${f}: a test, test helper or benchmark in the build`);
    else if (!used.has(f)) problems.push(`${f}: compiled into dist/ but not imported by the picker (${ENTRY_POINTS.join(', ')}): a test helper belongs in test/support/`);
  }
  return problems;
}

/** The problems with `npm pack`'s file list: anything outside the shipped folders, helpers, stale build output. */
export function packProblems(paths: readonly string[], inputs: readonly string[]): string[] {
  const compiled = new Set(inputs.map((f) => f.replace(/\.ts$/, '')));
  const problems: string[] = [];
  for (const p of paths) {
    if (isHelperPath(p)) problems.push(`${p}: a test, test helper or benchmark in the package`);
    else if (p.startsWith('dist/')) {
      const m = /^dist\/(.*?)(\.d\.ts|\.js\.map|\.js)$/.exec(p);
      if (!m || !compiled.has(m[1]!)) problems.push(`${p}: in dist/ but not built from a current source (a stale build?)`);
    }
  }
  return problems;
}

test('the build compiles only what the picker imports: no test, test helper or benchmark', async () => {
  const inputs = await buildInputs();
  assert.ok(inputs.includes('src/main.ts'), `tsc listed no src/main.ts:\n${inputs.join('\n')}`);
  assert.deepEqual(buildProblems(inputs, reachable(ENTRY_POINTS)), []);
});

test('npm pack ships no test, test helper, benchmark or stale build file', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  const paths = pack.files.map((f) => f.path);
  assert.ok(paths.includes('bin/epp.js'), `npm pack listed no bin/epp.js:\n${paths.join('\n')}`);
  assert.deepEqual(packProblems(paths, await buildInputs()), []);
  const files = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[] }).files;
  assert.deepEqual(files.filter((f) => isHelperPath(`${f}/`) || /^(src|scripts)\b/.test(f)), [], 'package.json "files" names a source, test or bench folder');
});

test('the checks above catch a helper in src/, a test in the package and a stale dist/ file', () => {
  const used = new Set(['src/main.ts', 'src/runner.ts']);
  assert.deepEqual(buildProblems(['src/main.ts', 'src/runner.ts'], used), []);
  assert.equal(buildProblems(['src/main.ts', 'src/scheduling/testing.ts'], used).length, 1);
  assert.equal(buildProblems(['src/main.ts', 'src/datalayer/fixtures.test-util.ts'], used).length, 1);
  assert.equal(buildProblems(['src/main.ts', 'src/datalayer/prom-text-naive.ts'], used).length, 1);
  assert.equal(buildProblems(['test/support/child.ts'], new Set(['test/support/child.ts'])).length, 1);
  const inputs = ['src/main.ts'];
  assert.deepEqual(packProblems(['bin/epp.js', 'dist/src/main.js', 'dist/src/main.js.map', 'dist/src/main.d.ts', 'examples/a.yaml'], inputs), []);
  assert.equal(packProblems(['test/support/fake-vllm.ts'], inputs).length, 1);
  assert.equal(packProblems(['dist/src/datalayer/fixtures.test-util.js'], inputs).length, 1);
  assert.equal(packProblems(['dist/src/scheduling/plugin-contract.js'], inputs).length, 1);
});
