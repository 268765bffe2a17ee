/** scripts/import-graph.ts: which specifiers count, and the folder cycles the architecture test reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { folderCycles, formatCycle, relativeSpecifiers, type FileImport } from '../scripts/import-graph.ts';

test('static, type-only, side-effect, re-export, multi-line and dynamic imports count; packages do not', () => {
  const src = [
    "import { a } from './a.ts';",
    "import type { B } from '../b/b.ts';",
    "import './side-effect.ts';",
    "export { c } from './c.ts';",
    "export * from './d.ts';",
    "export type { E } from './e.ts';",
    'import {',
    '  f,',
    '  type F,',
    "} from './f.ts';",
    "import x, { y } from \"./g.ts\";",
    "const h = await import('./h.ts');",
    "import { readFileSync } from 'node:fs';",
    "import pino from 'pino';",
    'if (ok) { const { i } = await import("../i.ts"); }',
  ].join('\n');
  assert.deepEqual(relativeSpecifiers(src).sort(), ['../b/b.ts', '../i.ts', './a.ts', './c.ts', './d.ts', './e.ts', './f.ts', './g.ts', './h.ts', './side-effect.ts']);
});

test('imports in comments, strings, template literals and regex literals do not count', () => {
  const src = [
    "// import { a } from './comment.ts';",
    "/* import { b } from './block.ts'; */",
    '/**',
    " * export { c } from './doc.ts';",
    " * await import('./doc-dynamic.ts')",
    ' */',
    "const s = `import { d } from './template.ts'; ${x} import('./template2.ts')`;",
    "const t = `${`import('./nested.ts')`}`;",
    "const r = /import\\('\\.\\/regex.ts'\\)/;",
    "const q = \"import('./in-string.ts')\";",
    "const u = 'http://x/'; import { real } from './real.ts';",
    'const v = a / b; import { after } from "./after-division.ts";',
  ].join('\n');
  assert.deepEqual(relativeSpecifiers(src).sort(), ['./after-division.ts', './real.ts']);
});

const imp = (from: string, to: string): FileImport => ({ from, to });

test('a folder and its sub-folder are two nodes: parent -> child -> parent is a cycle', () => {
  const imports = [imp('src/plugins/registry.ts', 'src/plugins/scorer/queue/queue.ts'), imp('src/plugins/scorer/queue/queue.ts', 'src/plugins/params.ts')];
  assert.deepEqual(folderCycles(imports), [['src/plugins', 'src/plugins/scorer/queue', 'src/plugins']]);
  assert.equal(
    formatCycle(folderCycles(imports)[0]!, imports),
    'src/plugins -> src/plugins/scorer/queue -> src/plugins\n    src/plugins/registry.ts imports src/plugins/scorer/queue/queue.ts\n    src/plugins/scorer/queue/queue.ts imports src/plugins/params.ts',
  );
});

test('imports within one folder, and a chain without a way back, are no cycle', () => {
  const imports = [imp('src/a/x.ts', 'src/a/y.ts'), imp('src/a/y.ts', 'src/a/x.ts'), imp('src/a/x.ts', 'src/b/z.ts'), imp('src/b/z.ts', 'src/c/w.ts')];
  assert.deepEqual(folderCycles(imports), []);
});

test('each cycle is reported once, as a path, longer cycles included', () => {
  const imports = [
    imp('src/a/1.ts', 'src/b/1.ts'),
    imp('src/b/1.ts', 'src/c/1.ts'),
    imp('src/c/1.ts', 'src/a/2.ts'),
    imp('src/d/1.ts', 'src/e/1.ts'),
    imp('src/e/1.ts', 'src/d/2.ts'),
  ];
  assert.deepEqual(folderCycles(imports), [
    ['src/a', 'src/b', 'src/c', 'src/a'],
    ['src/d', 'src/e', 'src/d'],
  ]);
});
