/**
 * charts/epp rendered as `helm template` would: the user's values merged over values.yaml (maps merge, lists and
 * scalars replace, null deletes a key), then every template through helm-render.ts, parsed back into objects.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { renderChart } from './helm-render.ts';

export type Doc = Record<string, any>;

export const CHART = fileURLToPath(new URL('../../../charts/epp', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export const chartFiles: Record<string, string> = {};
for (const f of walk(join(CHART, 'templates'))) chartFiles[relative(CHART, f)] = readFileSync(f, 'utf8');
export const valuesText = readFileSync(join(CHART, 'values.yaml'), 'utf8');
export const defaults = parse(valuesText) as Doc;
export const chartMeta = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Doc;

export const RELEASE = { Name: 'llama', Namespace: 'inference' };

/** Helm's coalescing of user values over chart defaults. */
export function mergeValues(base: Doc, over: Doc): Doc {
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete base[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' && !Array.isArray(base[k])) mergeValues(base[k], v);
    else base[k] = v;
  }
  return base;
}

/** Renders the chart with `layers` merged over values.yaml in order (as repeated `-f` files). */
export function render(...layers: Doc[]): { files: Record<string, string>; objects: Doc[] } {
  const values = structuredClone(defaults);
  for (const layer of layers) mergeValues(values, structuredClone(layer));
  const files = renderChart({
    files: chartFiles,
    values,
    release: RELEASE,
    chart: { Name: chartMeta.name, Version: chartMeta.version, AppVersion: chartMeta.appVersion },
  });
  const objects: Doc[] = [];
  for (const [name, text] of Object.entries(files)) {
    if (!name.endsWith('.yaml')) continue;
    for (const d of parseAllDocuments(text)) {
      assert.deepEqual(d.errors, [], `${name} renders to valid YAML:\n${text}`);
      const js = d.toJS() as Doc | null;
      if (js) objects.push(js);
    }
  }
  return { files, objects };
}

export const find = (objs: Doc[], kind: string): Doc[] => objs.filter((o) => o.kind === kind);

/** The only object of `kind`. */
export function one(objs: Doc[], kind: string): Doc {
  const found = find(objs, kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
}
