/**
 * The layering the README and STYLE.md describe, checked on the relative import graph (scripts/import-graph.ts;
 * type-only and dynamic imports count). A folder is a file's own directory: a folder and its sub-folder are two
 * nodes, so src/plugins -> src/plugins/scheduling/scorer/queue -> src/plugins is a cycle.
 *
 * `{ todo }` marks a rule the current code still breaks (node:test reports it, the run stays green); the work
 * named in the todo removes the mark. `node scripts/import-graph.ts --cycles src` prints the cycles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileImports, folderCycles, formatCycle, importsWithin, isTestFile, isUnder, tsFiles, type FileImport } from '../scripts/import-graph.ts';

/** Engines: they run plugins through the contracts in src/framework/ and never name one. */
const ENGINES = ['src/scheduling', 'src/requestcontrol', 'src/extproc', 'src/datastore', 'src/datalayer'];
/** The wiring: the only modules outside src/plugins/ that may import a plugin. */
const WIRING = ['src/runner.ts'];

const srcImports: FileImport[] = fileImports(tsFiles('src').filter((f) => !isTestFile(f)));
const show = (imps: readonly FileImport[]): string[] => imps.map((i) => `${i.from} imports ${i.to}`);

test('(a) no folder-level import cycle in src/', () => {
  const imports = importsWithin('src');
  assert.deepEqual(folderCycles(imports).map((c) => formatCycle(c, imports)), []);
});

test('(b) no folder-level import cycle in bench/', () => {
  const imports = importsWithin('bench', { tests: true });
  assert.deepEqual(folderCycles(imports).map((c) => formatCycle(c, imports)), []);
});

test('(c) src/framework/ imports nothing outside src/framework/', () => {
  const out = srcImports.filter((i) => isUnder(i.from, 'src/framework') && !isUnder(i.to, 'src/framework'));
  assert.deepEqual(show(out), []);
});

test('(d) engines never import a plugin; outside src/plugins/ only the wiring does', () => {
  const toPlugins = srcImports.filter((i) => isUnder(i.to, 'src/plugins') && !isUnder(i.from, 'src/plugins'));
  assert.deepEqual(show(toPlugins.filter((i) => ENGINES.some((e) => isUnder(i.from, e)))), [], 'engines');
  assert.deepEqual(show(toPlugins.filter((i) => !WIRING.includes(i.from))), [], 'outside the wiring');
});

test('(e) src/ never imports from test/ or bench/', () => {
  const out = srcImports.filter((i) => !isUnder(i.to, 'src'));
  assert.deepEqual(show(out), []);
});

test('(f) bench/sim, the epp-sim package, imports nothing outside its folder (its tests may)', () => {
  const out = fileImports(tsFiles('bench/sim').filter((f) => !isTestFile(f))).filter((i) => !isUnder(i.to, 'bench/sim'));
  assert.deepEqual(show(out), []);
});

test('every engine and wiring module named above exists', () => {
  const files = tsFiles('src');
  for (const e of ENGINES) assert.ok(files.some((f) => isUnder(f, e)), e);
  for (const w of WIRING) assert.ok(files.includes(w), w);
});
