/** Static checks of a chart's values.yaml against its templates (no helm binary needed). */

/** Leaf paths of a values tree ("a.b.c"); empty maps and lists are leaves. */
export function leafPaths(v: unknown, prefix = ''): string[] {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
    return Object.entries(v).flatMap(([k, child]) => leafPaths(child, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

export interface ValueRefs {
  /** Every `.Values.x.y` referenced. */
  exact: Set<string>;
  /** References whose whole subtree the template consumes (toYaml, with, range, join, first, required). */
  consumed: Set<string>;
}

const REF = /\$?\.Values((?:\.\w+)+)/g;
const CONSUMING = /\b(?:toYaml|with|range|join\s+"[^"]*"|first|required\s+"[^"]*")\s+\(?\$?\.Values((?:\.\w+)+)/g;

/** `$x := .Values.a.b` or `$x := $y.c` (a variable that names a values subtree). */
const ALIAS = /\$(\w+)\s*:?=\s*(\$\w+|\.Values)((?:\.\w+)*)(?=\s*(?:\}\}|-\}\}|\)))/g;
const VAR_REF = /\$(\w+)((?:\.\w+)+)/g;
/** The default of `dig "k"... default .Values.x`: a whole subtree used when the upstream key is absent. */
const DIG_DEFAULT = /\bdig\s+(?:"[^"]*"\s+)+\.Values((?:\.\w+)+)\s/g;

export function valueRefs(templates: readonly string[]): ValueRefs {
  const exact = new Set<string>();
  const consumed = new Set<string>();
  for (const t of templates) {
    for (const m of t.matchAll(REF)) exact.add(m[1]!.slice(1));
    for (const m of t.matchAll(CONSUMING)) consumed.add(m[1]!.slice(1));
    for (const m of t.matchAll(DIG_DEFAULT)) consumed.add(m[1]!.slice(1));
    // Variables bound to a values subtree (per file): `$pool := .Values.inferencePool` makes `$pool.create` a
    // reference to inferencePool.create; a variable bound to `$pool.targetPorts` takes that subtree whole.
    const aliases = new Map<string, string>();
    for (const m of t.matchAll(ALIAS)) {
      const base = m[2] === '.Values' ? '' : aliases.get(m[2]!.slice(1));
      if (base === undefined) continue;
      const path = `${base}${m[3]!}`.replace(/^\./, '');
      if (!path) continue;
      aliases.set(m[1]!, `.${path}`);
      if (m[2] !== '.Values') consumed.add(path);
    }
    for (const m of t.matchAll(VAR_REF)) {
      const base = aliases.get(m[1]!);
      if (base !== undefined) exact.add(`${base}${m[2]!}`.slice(1));
    }
  }
  return { exact, consumed };
}

/** Leaves of values.yaml no template reads (directly, or through a consumed ancestor). */
export function unusedValues(values: unknown, refs: ValueRefs): string[] {
  return leafPaths(values).filter((leaf) => {
    if (refs.exact.has(leaf)) return false;
    const parts = leaf.split('.');
    for (let i = parts.length - 1; i > 0; i--) if (refs.consumed.has(parts.slice(0, i).join('.'))) return false;
    return true;
  });
}

/** References in templates to keys values.yaml does not define (typos). */
export function undefinedRefs(values: unknown, refs: ValueRefs): string[] {
  return [...refs.exact].filter((path) => {
    let cur: unknown = values;
    for (const k of path.split('.')) {
      if (!cur || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return true;
      cur = (cur as Record<string, unknown>)[k];
    }
    return false;
  });
}

/**
 * Leaves with no comment on themselves or an ancestor. A key counts as commented when the line just above it
 * is a comment. Works on block-style YAML (what values.yaml is written in).
 */
export function undocumentedValues(text: string): string[] {
  const lines = text.split('\n');
  const documented = new Set<string>();
  const all: string[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)([A-Za-z_][\w-]*):(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length;
    while (stack.length && stack.at(-1)!.indent >= indent) stack.pop();
    stack.push({ indent, key: m[2]! });
    const path = stack.map((s) => s.key).join('.');
    all.push(path);
    if (/^\s*#/.test(lines[i - 1] ?? '')) documented.add(path);
  }
  const isLeaf = (p: string) => !all.some((q) => q.startsWith(`${p}.`));
  return all.filter((p) => {
    if (!isLeaf(p)) return false;
    const parts = p.split('.');
    for (let i = parts.length; i > 0; i--) if (documented.has(parts.slice(0, i).join('.'))) return false;
    return true;
  });
}
