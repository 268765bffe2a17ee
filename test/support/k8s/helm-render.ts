/**
 * Renders the chart's templates with a small Go text/template + Sprig subset (no helm binary here), so tests
 * can parse the output and check it against the CRD schemas. Supported: {{- -}} trimming, comments,
 * if/else if/else/end, range (with `$v :=` or `$k, $v :=`), with, define/include, variables ($x :=, $x =, $),
 * (`$x = v` too), pipelines, parenthesised terms with field access, niladic functions as arguments (`dict`), and the functions
 * the chart uses (listed in FUNCS). Anything else throws, so an unsupported
 * construct fails the test instead of rendering wrongly. Semantics follow Helm where it matters: a field of
 * a missing map is an error, a missing key prints as nothing, toYaml drops the trailing newline.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

type Value = unknown;
type Tok = { k: 'str' | 'num' | 'id' | 'field' | 'var' | '(' | ')' | '|' | ':='; v: string; attached: boolean };
type Node =
  | { t: 'text'; s: string }
  | { t: 'out'; p: Tok[] }
  | { t: 'assign'; name: string; declare: boolean; p: Tok[] }
  | { t: 'if'; p: Tok[]; then: Node[]; else: Node[] }
  | { t: 'with'; p: Tok[]; then: Node[]; else: Node[] }
  | { t: 'range'; p: Tok[]; keyVar: string | null; valVar: string | null; body: Node[] };

export interface RenderInput {
  files: Record<string, string>;
  values: Record<string, Value>;
  release?: { Name: string; Namespace: string };
  chart: { Name: string; Version: string; AppVersion: string };
}

/** Renders every template file (not _*.tpl); returns file name -> output. */
export function renderChart(input: RenderInput): Record<string, string> {
  const defines = new Map<string, Node[]>();
  const parsed = new Map<string, Node[]>();
  for (const [name, src] of Object.entries(input.files)) parsed.set(name, parse(src, defines, name));
  const root = {
    Values: input.values,
    Release: { Service: 'Helm', ...(input.release ?? { Name: 'my-release', Namespace: 'default' }) },
    Chart: input.chart,
  };
  const ctx: Ctx = { defines, root };
  const out: Record<string, string> = {};
  for (const [name, nodes] of parsed) {
    if (name.split('/').pop()!.startsWith('_')) continue;
    out[name] = exec(nodes, root, new Vars(null, ['$', root]), ctx);
  }
  return out;
}

// ------------------------------------------------------------------ parsing

function parse(src: string, defines: Map<string, Node[]>, file: string): Node[] {
  const top: Node[] = [];
  // Stack of open blocks: the node list being filled and the node that owns it.
  const stack: { list: Node[]; owner: Node | null; define?: string }[] = [{ list: top, owner: null }];
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    if (text) stack.at(-1)!.list.push({ t: 'text', s: text });
    last = re.lastIndex;
    trimNext = Boolean(m[3]);
    const body = m[2]!.trim();
    if (body.startsWith('/*')) continue;
    const kw = /^(\w+)\b/.exec(body)?.[1];
    const rest = body.slice(kw?.length ?? 0);
    const open = (node: Node, list: Node[], define?: string): void => {
      stack.at(-1)!.list.push(node);
      stack.push(define === undefined ? { list, owner: node } : { list, owner: null, define });
    };
    if (kw === 'if' || kw === 'with') {
      const node: Extract<Node, { t: 'if' | 'with' }> = { t: kw, p: lex(rest), then: [], else: [] };
      open(node, node.then);
    } else if (kw === 'range') {
      // `range $v := x` binds the element; `range $k, $v := x` the index (or map key) and the element.
      const vars = /^\s*(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=([\s\S]*)$/.exec(rest);
      const node: Extract<Node, { t: 'range' }> = vars
        ? { t: 'range', p: lex(vars[3]!), keyVar: vars[2] ? vars[1]! : null, valVar: vars[2] ?? vars[1]!, body: [] }
        : { t: 'range', p: lex(rest), keyVar: null, valVar: null, body: [] };
      open(node, node.body);
    } else if (kw === 'else') {
      const top = stack.at(-1)!;
      if (!top.owner || (top.owner.t !== 'if' && top.owner.t !== 'with')) throw new Error(`${file}: unsupported else`);
      top.list = top.owner.else;
      const chained = /^\s*if\b([\s\S]*)$/.exec(rest);
      if (chained) {
        // `else if c` is an `if c` inside the else branch, closed by the same `end`.
        const node: Extract<Node, { t: 'if' }> = { t: 'if', p: lex(chained[1]!), then: [], else: [] };
        top.list.push(node);
        top.owner = node;
        top.list = node.then;
      } else if (rest.trim()) throw new Error(`${file}: unsupported else${rest}`);
    } else if (kw === 'end') {
      const closed = stack.pop()!;
      if (stack.length === 0) throw new Error(`${file}: unbalanced end`);
      if (closed.define !== undefined) defines.set(closed.define, closed.list);
    } else if (kw === 'define') {
      const name = /^\s*"([^"]+)"\s*$/.exec(rest)?.[1];
      if (!name) throw new Error(`${file}: bad define`);
      const list: Node[] = [];
      stack.push({ list, owner: null, define: name });
    } else if (kw && ['template', 'block', 'break', 'continue'].includes(kw)) {
      throw new Error(`${file}: unsupported action ${kw}`);
    } else {
      const assign = /^\$(\w+)\s*(:?=)\s*([\s\S]*)$/.exec(body);
      if (assign) stack.at(-1)!.list.push({ t: 'assign', name: `$${assign[1]}`, declare: assign[2] === ':=', p: lex(assign[3]!) });
      else stack.at(-1)!.list.push({ t: 'out', p: lex(body) });
    }
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (tail) stack.at(-1)!.list.push({ t: 'text', s: tail });
  if (stack.length !== 1) throw new Error(`${file}: ${stack.length - 1} unclosed block(s)`);
  return top;
}

function lex(s: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|(\$\w*(?:\.\w+)*)|((?:\.\w+)+|\.)|(\w+)|(\()|(\))|(\|)|(:=))/y;
  let prevEnd = -1;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s))) {
    const attached = m.index === prevEnd && !/^\s/.test(m[0]);
    prevEnd = re.lastIndex;
    if (m[1]) toks.push({ k: 'str', v: JSON.parse(m[1]) as string, attached });
    else if (m[2]) toks.push({ k: 'num', v: m[2], attached });
    else if (m[3]) toks.push({ k: 'var', v: m[3], attached });
    else if (m[4]) toks.push({ k: 'field', v: m[4], attached });
    else if (m[5]) toks.push({ k: 'id', v: m[5], attached });
    else if (m[6]) toks.push({ k: '(', v: '(', attached });
    else if (m[7]) toks.push({ k: ')', v: ')', attached });
    else if (m[8]) toks.push({ k: '|', v: '|', attached });
    else if (m[9]) toks.push({ k: ':=', v: ':=', attached });
  }
  if (s.slice(prevEnd < 0 ? 0 : prevEnd).trim()) throw new Error(`cannot lex template action: ${s}`);
  return toks;
}

// ------------------------------------------------------------------ evaluation

interface Ctx {
  defines: Map<string, Node[]>;
  root: Value;
}
/** Variables of one block; `$x = v` assigns where $x was declared, as in Go. */
class Vars {
  readonly #own = new Map<string, Value>();
  readonly parent: Vars | null;
  constructor(parent: Vars | null, init?: [string, Value]) {
    this.parent = parent;
    if (init) this.#own.set(init[0], init[1]);
  }
  #scope(name: string): Vars | null {
    for (let s: Vars | null = this; s; s = s.parent) if (s.#own.has(name)) return s;
    return null;
  }
  has(name: string): boolean {
    return this.#scope(name) !== null;
  }
  get(name: string): Value {
    const s = this.#scope(name);
    return s ? s.#own.get(name) : undefined;
  }
  declare(name: string, v: Value): void {
    this.#own.set(name, v);
  }
  assign(name: string, v: Value): void {
    const s = this.#scope(name);
    if (!s) throw new Error(`undefined variable ${name}`);
    s.#own.set(name, v);
  }
}

function exec(nodes: Node[], dot: Value, vars: Vars, ctx: Ctx): string {
  let out = '';
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
        out += n.s;
        break;
      case 'out':
        out += print(evalPipeline(n.p, dot, vars, ctx));
        break;
      case 'assign':
        if (n.declare) vars.declare(n.name, evalPipeline(n.p, dot, vars, ctx));
        else vars.assign(n.name, evalPipeline(n.p, dot, vars, ctx));
        break;
      case 'if':
        out += exec(truthy(evalPipeline(n.p, dot, vars, ctx)) ? n.then : n.else, dot, new Vars(vars), ctx);
        break;
      case 'with': {
        const v = evalPipeline(n.p, dot, vars, ctx);
        out += truthy(v) ? exec(n.then, v, new Vars(vars), ctx) : exec(n.else, dot, new Vars(vars), ctx);
        break;
      }
      case 'range': {
        const v = evalPipeline(n.p, dot, vars, ctx);
        // Maps range in sorted key order, as Go's text/template does.
        const entries: [Value, Value][] = Array.isArray(v)
          ? v.map((item, i) => [i, item])
          : v && typeof v === 'object'
            ? Object.keys(v).sort().map((k) => [k, (v as Record<string, Value>)[k]])
            : [];
        for (const [key, item] of entries) {
          const scope = new Vars(vars);
          if (n.keyVar) scope.declare(n.keyVar, key);
          if (n.valVar) scope.declare(n.valVar, item);
          out += exec(n.body, item, scope, ctx);
        }
        break;
      }
    }
  }
  return out;
}

function evalPipeline(toks: Tok[], dot: Value, vars: Vars, ctx: Ctx): Value {
  const cmds: Tok[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.k === '(') depth++;
    if (t.k === ')') depth--;
    if (t.k === '|' && depth === 0) cmds.push([]);
    else cmds.at(-1)!.push(t);
  }
  let piped: Value;
  let hasPiped = false;
  for (const cmd of cmds) {
    const args = terms(cmd, dot, vars, ctx);
    const head = cmd[0];
    if (head?.k === 'id' && !['true', 'false', 'nil'].includes(head.v)) {
      const fn = FUNCS[head.v];
      if (!fn) throw new Error(`unsupported template function ${head.v}`);
      const a = args.slice(1);
      if (hasPiped) a.push(piped);
      piped = fn(ctx, ...a);
    } else {
      if (args.length !== 1 || hasPiped) throw new Error(`bad command: ${cmd.map((t) => t.v).join(' ')}`);
      piped = args[0];
    }
    hasPiped = true;
  }
  return piped;
}

/** Evaluates each term of a command (the function name itself evaluates to undefined). */
function terms(cmd: Tok[], dot: Value, vars: Vars, ctx: Ctx): Value[] {
  const out: Value[] = [];
  for (let i = 0; i < cmd.length; i++) {
    const t = cmd[i]!;
    if (t.k === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < cmd.length && depth > 0; j++) {
        if (cmd[j]!.k === '(') depth++;
        if (cmd[j]!.k === ')') depth--;
      }
      let v = evalPipeline(cmd.slice(i + 1, j - 1), dot, vars, ctx);
      // `(expr).field`
      while (cmd[j]?.k === 'field' && cmd[j]!.attached) v = fields(v, cmd[j++]!.v);
      out.push(v);
      i = j - 1;
    } else if (t.k === 'str') out.push(t.v);
    else if (t.k === 'num') out.push(Number(t.v));
    else if (t.k === 'field') out.push(t.v === '.' ? dot : fields(dot, t.v));
    else if (t.k === 'var') {
      const [name, ...rest] = t.v.split('.');
      if (!vars.has(name!)) throw new Error(`undefined variable ${name}`);
      out.push(rest.length ? fields(vars.get(name!), `.${rest.join('.')}`) : vars.get(name!));
    } else if (t.k === 'id') {
      if (t.v === 'true' || t.v === 'false' || t.v === 'nil') out.push(t.v === 'true' ? true : t.v === 'false' ? false : null);
      // A function name as an argument is a call without arguments (`default (dict)`, `default dict`).
      else if (i > 0 && FUNCS[t.v]) out.push(FUNCS[t.v]!(ctx));
      else out.push(undefined);
    }
    else throw new Error(`unexpected token ${t.v}`);
  }
  return out;
}

function fields(v: Value, chain: string): Value {
  let cur = v;
  for (const key of chain.split('.').slice(1)) {
    if (cur === null || cur === undefined || typeof cur !== 'object') throw new Error(`nil pointer evaluating ${chain} (at .${key})`);
    cur = (cur as Record<string, Value>)[key];
  }
  return cur;
}

function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function print(v: Value): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return `[${v.map(print).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${print((v as Record<string, Value>)[k])}`).join(' ')}]`;
  return String(v);
}

const str = (v: Value): string => print(v);

const FUNCS: Record<string, (ctx: Ctx, ...a: Value[]) => Value> = {
  include: (ctx, name, dot) => {
    const body = ctx.defines.get(String(name));
    if (!body) throw new Error(`include of undefined template ${String(name)}`);
    return exec(body, dot, new Vars(null, ['$', ctx.root]), ctx);
  },
  toYaml: (_c, v) => (v === undefined || v === null ? 'null' : stringify(v).replace(/\n$/, '')),
  nindent: (_c, n, s) => `\n${indentText(Number(n), str(s))}`,
  indent: (_c, n, s) => indentText(Number(n), str(s)),
  quote: (_c, ...a) => a.map((v) => JSON.stringify(str(v))).join(' '),
  default: (_c, d, v) => (truthy(v) ? v : d),
  required: (_c, msg, v) => {
    if (v === undefined || v === null || v === '') throw new Error(String(msg));
    return v;
  },
  trunc: (_c, n, s) => str(s).slice(0, Number(n)),
  trim: (_c, s) => str(s).trim(),
  trimSuffix: (_c, suf, s) => (str(s).endsWith(str(suf)) ? str(s).slice(0, -str(suf).length) : str(s)),
  printf: (_c, fmt, ...args) => {
    let i = 0;
    return str(fmt).replace(/%[sdv]/g, () => str(args[i++]));
  },
  sha256sum: (_c, s) => createHash('sha256').update(str(s)).digest('hex'),
  join: (_c, sep, l) => (Array.isArray(l) ? l.map(str).join(str(sep)) : str(l)),
  first: (_c, l) => (Array.isArray(l) ? l[0] : undefined),
  hasKey: (_c, m, k) => typeof m === 'object' && m !== null && Object.hasOwn(m, str(k)),
  and: (_c, ...a) => a.reduce((acc, v) => (truthy(acc) ? v : acc)),
  or: (_c, ...a) => a.find(truthy) ?? a.at(-1),
  not: (_c, v) => !truthy(v),
  eq: (_c, a, b) => a === b,
  ne: (_c, a, b) => a !== b,
  gt: (_c, a, b) => Number(a) > Number(b),
  int: (_c, v) => Math.trunc(Number(v)),
  add: (_c, ...a) => a.reduce((sum: number, v) => sum + Math.trunc(Number(v)), 0),
  list: (_c, ...a) => a,
  dict: (_c, ...kv) => {
    const d: Record<string, Value> = {};
    for (let i = 0; i + 1 < kv.length; i += 2) d[str(kv[i])] = kv[i + 1];
    return d;
  },
  /** Sprig merge: copies into dst the keys it lacks from each source in turn (dst wins), recursively for maps. */
  merge: (_c, dst, ...srcs) => {
    for (const src of srcs) mergeInto(dst as Record<string, Value>, src);
    return dst;
  },
  /** Sprig dig: dig "a" "b" default map. As Sprig, a present key whose value is not a map fails (a null too). */
  dig: (_c, ...a) => {
    let cur: Value = a.at(-1);
    for (const k of a.slice(0, -2)) {
      if (!cur || typeof cur !== 'object' || Array.isArray(cur)) throw new Error(`dig: ${String(k)}: not a map`);
      if (!Object.hasOwn(cur, str(k))) return a.at(-2);
      cur = (cur as Record<string, Value>)[str(k)];
    }
    return cur;
  },
};

function mergeInto(dst: Record<string, Value>, src: Value): void {
  if (!src || typeof src !== 'object' || Array.isArray(src)) return;
  for (const [k, v] of Object.entries(src)) {
    const d = dst[k];
    if (!Object.hasOwn(dst, k)) dst[k] = structuredClone(v);
    else if (d && typeof d === 'object' && !Array.isArray(d) && v && typeof v === 'object' && !Array.isArray(v)) mergeInto(d as Record<string, Value>, v);
  }
}

function indentText(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
