/**
 * Renders the chart's templates with a small Go text/template + Sprig subset (no helm binary here), so tests
 * can parse the output and check it against the CRD schemas. Supported: {{- -}} trimming, comments,
 * if/else/end, range, with, define/include, variables ($x :=, $), pipelines, parenthesised terms with field
 * access, and the functions the chart uses (listed in FUNCS). Anything else throws, so an unsupported
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
  | { t: 'assign'; name: string; p: Tok[] }
  | { t: 'if'; p: Tok[]; then: Node[]; else: Node[] }
  | { t: 'with'; p: Tok[]; then: Node[]; else: Node[] }
  | { t: 'range'; p: Tok[]; body: Node[] };

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
    out[name] = exec(nodes, root, new Map([['$', root]]), ctx);
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
      const node: Extract<Node, { t: 'range' }> = { t: 'range', p: lex(rest), body: [] };
      open(node, node.body);
    } else if (kw === 'else') {
      const top = stack.at(-1)!;
      if (!top.owner || (top.owner.t !== 'if' && top.owner.t !== 'with') || rest.trim()) throw new Error(`${file}: unsupported else`);
      top.list = top.owner.else;
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
      const assign = /^\$(\w+)\s*:=\s*([\s\S]*)$/.exec(body);
      if (assign) stack.at(-1)!.list.push({ t: 'assign', name: `$${assign[1]}`, p: lex(assign[2]!) });
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
type Vars = Map<string, Value>;

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
        vars.set(n.name, evalPipeline(n.p, dot, vars, ctx));
        break;
      case 'if':
        out += exec(truthy(evalPipeline(n.p, dot, vars, ctx)) ? n.then : n.else, dot, new Map(vars), ctx);
        break;
      case 'with': {
        const v = evalPipeline(n.p, dot, vars, ctx);
        out += truthy(v) ? exec(n.then, v, new Map(vars), ctx) : exec(n.else, dot, new Map(vars), ctx);
        break;
      }
      case 'range': {
        const v = evalPipeline(n.p, dot, vars, ctx);
        const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, Value>)[k]) : [];
        for (const item of items) out += exec(n.body, item, new Map(vars), ctx);
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
    } else if (t.k === 'id') out.push(t.v === 'true' ? true : t.v === 'false' ? false : t.v === 'nil' ? null : undefined);
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
    return exec(body, dot, new Map([['$', ctx.root]]), ctx);
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
};

function indentText(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
