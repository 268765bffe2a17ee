/**
 * The one label selector: the Kubernetes string syntax (`k8s.io/apimachinery/pkg/labels.Parse`: `k=v`, `k==v`,
 * `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, comma = AND), the structured form
 * (`matchLabels` + `matchExpressions`, as in metav1.LabelSelector and InferencePool `spec.selector`), one
 * matcher with Kubernetes semantics, and the canonical string the API server's `labelSelector` query accepts.
 * Both forms become the same plain `LabelSelector` value, so flags, files and informers select the same pods.
 */
import { asList, asMap, child, describe, FieldError, isDnsSubdomain, onlyFields, optEnum, reqString, stringMap } from './fields.ts';

/** metav1 operators, plus Gt/Lt, which only the string form (`k>1`, `k<1`) produces, as labels.Parse does. */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Sorted, without duplicates. In/NotIn: at least one (may be ""); Exists/DoesNotExist: none; Gt/Lt: one integer. */
  readonly values: readonly string[];
}

/** Every entry of matchLabels and every expression must hold (AND). Empty = everything. Plain data (JSON-able). */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelRequirement[];
}

export function selectorFromLabels(matchLabels: Readonly<Record<string, string>>): LabelSelector {
  return { matchLabels, matchExpressions: [] };
}

// ------------------------------------------------------------------ matching and printing

/** Kubernetes semantics: `!=`/NotIn match when the label is absent; Gt/Lt need an integer label value. */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const k in selector.matchLabels) {
    if (!Object.hasOwn(labels, k) || labels[k] !== selector.matchLabels[k]) return false;
  }
  for (const r of selector.matchExpressions) if (!matchesRequirement(r, labels)) return false;
  return true;
}

function matchesRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has) return false;
      const have = int64(labels[r.key]!);
      const want = int64(r.values[0] ?? '');
      if (have === undefined || want === undefined) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
  }
}

/**
 * The canonical string form: requirements sorted by key, values sorted, `==` written `=`. It is what the
 * `labelSelector` query parameter takes, and equal selectors print equal (the pod watcher and the pool-less
 * Lease name compare it). A matchLabels-only selector prints as `a=1,b=2`.
 */
export function labelSelectorString(selector: LabelSelector): string {
  const terms: { key: string; text: string }[] = [];
  for (const key of Object.keys(selector.matchLabels)) terms.push({ key, text: `${key}=${selector.matchLabels[key]}` });
  for (const r of selector.matchExpressions) terms.push({ key: r.key, text: requirementString(r) });
  // Stable sort: matchLabels stay before expressions on the same key.
  terms.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return terms.map((t) => t.text).join(',');
}

function requirementString(r: LabelRequirement): string {
  const values = [...r.values].sort().join(',');
  switch (r.operator) {
    case 'In':
      return `${r.key} in (${values})`;
    case 'NotIn':
      return `${r.key} notin (${values})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Gt':
      return `${r.key}>${values}`;
    case 'Lt':
      return `${r.key}<${values}`;
  }
}

// ------------------------------------------------------------------ label syntax

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const KEY_RULE = 'a label key is [prefix/]name: an optional lowercase DNS subdomain prefix, and a name of at most 63 characters of [A-Za-z0-9-_.] that starts and ends alphanumeric';
const VALUE_RULE = 'a label value is empty, or at most 63 characters of [A-Za-z0-9-_.] that start and end alphanumeric';

/** Why `key` is not a valid label key (Kubernetes IsQualifiedName), or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.length > 2) return `more than one "/" (${KEY_RULE})`;
  if (parts.length === 2 && parts[0] === '') return `empty prefix before "/" (${KEY_RULE})`;
  if (parts.length === 2 && !isDnsSubdomain(parts[0]!)) return `invalid prefix ${JSON.stringify(parts[0])} (${KEY_RULE})`;
  if (name === '') return `empty name (${KEY_RULE})`;
  if (name.length > 63) return `name longer than 63 characters (${KEY_RULE})`;
  if (!LABEL_NAME.test(name)) return `invalid name ${JSON.stringify(name)} (${KEY_RULE})`;
  return undefined;
}

/** Why `value` is not a valid label value (Kubernetes IsValidLabelValue), or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `longer than 63 characters (${VALUE_RULE})`;
  if (!LABEL_NAME.test(value)) return VALUE_RULE;
  return undefined;
}

function int64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
}

// ------------------------------------------------------------------ structured form

export interface StructuredOptions {
  /** Accept `matchExpressions` (metav1.LabelSelector); InferencePool v1 has `matchLabels` only. */
  expressions: boolean;
  minLabels?: number;
  maxLabels?: number;
}

const STRUCTURED_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** `{matchLabels, matchExpressions}` at `path`; throws FieldError with the full path of the bad part. */
export function readLabelSelector(raw: unknown, path: string, options: StructuredOptions): LabelSelector {
  const m = asMap(raw, path);
  onlyFields(m, path, options.expressions ? ['matchLabels', 'matchExpressions'] : ['matchLabels']);
  const matchLabels = readLabelMap(m.matchLabels, child(path, 'matchLabels'), options.minLabels ?? 0, options.maxLabels ?? Infinity);
  if (!options.expressions) return selectorFromLabels(matchLabels);
  const exprPath = child(path, 'matchExpressions');
  const matchExpressions = asList(m.matchExpressions, exprPath).map((item, i) => readExpression(item, child(exprPath, i)));
  return { matchLabels, matchExpressions };
}

/** A flat `key: value` map of labels to match (matchLabels, the v1alpha2 pool selector), keys and values checked. */
export function readLabelMap(raw: unknown, path: string, min = 0, max = Infinity): Record<string, string> {
  const labels = stringMap(raw, path, min, max);
  for (const [k, v] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(k);
    if (keyProblem) throw new FieldError(child(path, k), `must be a valid label key: ${keyProblem}`);
    const valueProblem = labelValueProblem(v);
    if (valueProblem) throw new FieldError(child(path, k), `must be a valid label value, got ${describe(v)}: ${valueProblem}`);
  }
  return labels;
}

function readExpression(raw: unknown, path: string): LabelRequirement {
  const m = asMap(raw, path);
  onlyFields(m, path, ['key', 'operator', 'values']);
  const key = reqString(m, 'key', path);
  const keyProblem = labelKeyProblem(key);
  if (keyProblem) throw new FieldError(child(path, 'key'), `must be a valid label key, got ${describe(key)}: ${keyProblem}`);
  const operator = optEnum(m, 'operator', path, STRUCTURED_OPERATORS);
  if (operator === undefined) throw new FieldError(child(path, 'operator'), 'required');
  const valuesPath = child(path, 'values');
  const raws = asList(m.values, valuesPath);
  const values: string[] = [];
  raws.forEach((v, i) => {
    if (typeof v !== 'string') throw new FieldError(child(valuesPath, i), `must be a string, got ${describe(v)} (quote it)`);
    const problem = labelValueProblem(v);
    if (problem) throw new FieldError(child(valuesPath, i), `must be a valid label value, got ${describe(v)}: ${problem}`);
    values.push(v);
  });
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
    throw new FieldError(valuesPath, `required: at least one value when operator is ${operator}`);
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
    throw new FieldError(valuesPath, `must be empty when operator is ${operator}`);
  }
  return { key, operator, values: uniqueSorted(values) };
}

function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

// ------------------------------------------------------------------ string form (labels.Parse)

type Tok = 'end' | 'id' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';
interface Item {
  tok: Tok;
  lit: string;
}

const SYMBOLS: ReadonlySet<string> = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOL_TOKENS: ReadonlySet<string> = new Set([')', ',', '!', '==', '=', '>', '<', '!=', '(']);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** The lexer of labels.Parse: symbols longest-match, anything else up to a symbol or blank is one identifier. */
function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i]!)) i++;
    if (i >= s.length) {
      items.push({ tok: 'end', lit: '' });
      return items;
    }
    if (SYMBOLS.has(s[i]!)) {
      let lit = s[i]!;
      i++;
      if (i < s.length && SYMBOL_TOKENS.has(lit + s[i])) lit += s[i++];
      items.push({ tok: lit as Tok, lit });
      continue;
    }
    const start = i;
    while (i < s.length && !SYMBOLS.has(s[i]!) && !isSpace(s[i]!)) i++;
    const lit = s.slice(start, i);
    items.push({ tok: lit === 'in' || lit === 'notin' ? lit : 'id', lit });
  }
}

type ParsedOp = 'Equals' | 'NotEquals' | SelectorOperator;
interface ParsedRequirement {
  key: string;
  op: ParsedOp;
  values: string[];
}

class Parser {
  #items: Item[];
  #pos = 0;
  constructor(items: Item[]) {
    this.#items = items;
  }

  /** In value position `in` and `notin` are plain identifiers (`x in (in)`). */
  peek(values: boolean): Item {
    const it = this.#items[this.#pos]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }
  next(values: boolean): Item {
    const it = this.peek(values);
    this.#pos++;
    return it;
  }

  parse(): ParsedRequirement[] {
    const out: ParsedRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === 'end') return out;
      if (tok !== 'id' && tok !== '!') throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      out.push(this.requirement());
      const after = this.next(true);
      if (after.tok === 'end') return out;
      if (after.tok !== ',') throw new Error(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== 'id' && t2.tok !== '!') throw new Error(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  requirement(): ParsedRequirement {
    let it = this.next(true);
    const not = it.tok === '!';
    if (not) it = this.next(true);
    if (it.tok !== 'id') throw new Error(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) throw new Error(`invalid label key ${JSON.stringify(key)}: ${keyProblem}`);
    const ahead = this.peek(true).tok;
    if (not) return { key, op: 'DoesNotExist', values: [] }; // anything but ',' or the end then fails in parse()
    if (ahead === 'end' || ahead === ',') return { key, op: 'Exists', values: [] };
    const op = this.operator();
    const values = op === 'In' || op === 'NotIn' ? this.valueSet() : [this.exactValue()];
    for (const v of values) {
      const problem = labelValueProblem(v);
      if (problem) throw new Error(`invalid value ${JSON.stringify(v)} for key ${JSON.stringify(key)}: ${problem}`);
    }
    if ((op === 'Gt' || op === 'Lt') && int64(values[0]!) === undefined) {
      throw new Error(`the value of ${key}${op === 'Gt' ? '>' : '<'} must be an integer, got ${JSON.stringify(values[0])}`);
    }
    return { key, op, values: uniqueSorted(values) };
  }

  operator(): ParsedOp {
    const { tok, lit } = this.next(false);
    switch (tok) {
      case 'in':
        return 'In';
      case 'notin':
        return 'NotIn';
      case '=':
      case '==':
        return 'Equals';
      case '!=':
        return 'NotEquals';
      case '>':
        return 'Gt';
      case '<':
        return 'Lt';
      default:
        throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, >, <`);
    }
  }

  /** `(a,b)`; empty members are "" as in labels.Parse: `()`, `(,a)`, `(a,,b)`, `(a,)`. */
  valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}', expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const it = this.next(true);
      if (it.tok === ')') {
        if (expectValue) values.push('');
        return values;
      }
      if (it.tok === ',') {
        if (expectValue) values.push('');
        expectValue = true;
        continue;
      }
      if (it.tok === 'id' && expectValue) {
        values.push(it.lit);
        expectValue = false;
        continue;
      }
      throw new Error(`found '${it.lit}', expected: ',', ')' or identifier`);
    }
  }

  /** `k=` alone (before ',' or the end) is the empty value. */
  exactValue(): string {
    const ahead = this.peek(true);
    if (ahead.tok === 'end' || ahead.tok === ',') return '';
    const it = this.next(true);
    if (it.tok !== 'id') throw new Error(`found '${it.lit}', expected: identifier`);
    return it.lit;
  }
}

/**
 * Parses the string syntax for the field `path` (e.g. `--endpoint-selector`); throws FieldError naming it.
 * `""` selects everything, as in Kubernetes. `=`/`==` become matchLabels (a repeated key an In expression),
 * `!=` becomes NotIn, as metav1.ParseToLabelSelector does.
 */
export function parseLabelSelector(text: string, path: string): LabelSelector {
  let parsed: ParsedRequirement[];
  try {
    parsed = new Parser(lex(text)).parse();
  } catch (err) {
    throw new FieldError(path, `invalid label selector ${describe(text)}: ${(err as Error).message}`);
  }
  parsed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelRequirement[] = [];
  for (const r of parsed) {
    if (r.op === 'Equals' && !Object.hasOwn(matchLabels, r.key)) matchLabels[r.key] = r.values[0]!;
    else if (r.op === 'Equals') matchExpressions.push({ key: r.key, operator: 'In', values: r.values });
    else if (r.op === 'NotEquals') matchExpressions.push({ key: r.key, operator: 'NotIn', values: r.values });
    else matchExpressions.push({ key: r.key, operator: r.op, values: r.values });
  }
  return { matchLabels, matchExpressions };
}
