/**
 * The subset of CEL (Common Expression Language) request-attribute-reporter expressions use, over one declared
 * variable whose value is a JSON-like object (upstream declares `usage` as google.protobuf.Struct): literals
 * (numbers, 'strings' / "strings", true, false, null), field selection `a.b`, `has(a.b)`, `!`, unary `-`,
 * `* / %`, `+ -`, `< <= > >= == !=`, `&&`, `||`, `? :` and parentheses. Struct numbers are doubles, so every
 * number is a JS number. Compiled once at config load into a closure tree; a runtime error (missing field, wrong
 * operand type) throws CelError.
 */

export class CelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelError';
  }
}

export type CelValue = number | string | boolean | null | { readonly [k: string]: CelValue };
export type CelProgram = (vars: Readonly<Record<string, CelValue>>) => CelValue;

type Tok = { kind: 'num' | 'str' | 'id' | 'op' | 'end'; text: string; num: number; pos: number };

const OPS = ['&&', '||', '<=', '>=', '==', '!=', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '(', ')', '.', ','];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const num = /^(\d+\.\d*(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+)u?/.exec(src.slice(i));
    if (num) {
      out.push({ kind: 'num', text: num[0], num: Number(num[1]), pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'id', text: id[0], num: 0, pos: i });
      i += id[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new CelError(`unterminated string at ${i}`);
      out.push({ kind: 'str', text: s, num: 0, pos: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`unexpected character ${JSON.stringify(c)} at ${i}`);
    out.push({ kind: 'op', text: op, num: 0, pos: i });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', num: 0, pos: src.length });
  return out;
}

/** Compiles `src` with the given variable names declared; a syntax error or undeclared name throws CelError. */
export function compileCel(src: string, variables: readonly string[]): CelProgram {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p]!;
  const isOp = (text: string): boolean => peek().kind === 'op' && peek().text === text;
  const expect = (text: string): void => {
    if (!isOp(text)) throw new CelError(`expected '${text}' at ${peek().pos}, got '${peek().text || 'end of input'}'`);
    p++;
  };

  function ternary(): CelProgram {
    const c = or();
    if (!isOp('?')) return c;
    p++;
    const a = ternary();
    expect(':');
    const b = ternary();
    return (v) => (asBool(c(v), '?:') ? a(v) : b(v));
  }
  function or(): CelProgram {
    let l = and();
    while (isOp('||')) {
      p++;
      const a = l;
      const b = and();
      l = (v) => asBool(a(v), '||') || asBool(b(v), '||');
    }
    return l;
  }
  function and(): CelProgram {
    let l = rel();
    while (isOp('&&')) {
      p++;
      const a = l;
      const b = rel();
      l = (v) => asBool(a(v), '&&') && asBool(b(v), '&&');
    }
    return l;
  }
  function rel(): CelProgram {
    const l = add();
    const t = peek();
    if (t.kind !== 'op' || !['<', '<=', '>', '>=', '==', '!='].includes(t.text)) return l;
    p++;
    const r = add();
    switch (t.text) {
      case '==':
        return (v) => l(v) === r(v);
      case '!=':
        return (v) => l(v) !== r(v);
      case '<':
        return (v) => asNum(l(v), '<') < asNum(r(v), '<');
      case '<=':
        return (v) => asNum(l(v), '<=') <= asNum(r(v), '<=');
      case '>':
        return (v) => asNum(l(v), '>') > asNum(r(v), '>');
      default:
        return (v) => asNum(l(v), '>=') >= asNum(r(v), '>=');
    }
  }
  function add(): CelProgram {
    let l = mul();
    while (isOp('+') || isOp('-')) {
      const op = toks[p++]!.text;
      const a = l;
      const b = mul();
      l =
        op === '+'
          ? (v) => {
              const x = a(v);
              const y = b(v);
              if (typeof x === 'string' && typeof y === 'string') return x + y;
              return asNum(x, '+') + asNum(y, '+');
            }
          : (v) => asNum(a(v), '-') - asNum(b(v), '-');
    }
    return l;
  }
  function mul(): CelProgram {
    let l = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = toks[p++]!.text;
      const a = l;
      const b = unary();
      l = op === '*' ? (v) => asNum(a(v), op) * asNum(b(v), op) : op === '/' ? (v) => asNum(a(v), op) / asNum(b(v), op) : (v) => asNum(a(v), op) % asNum(b(v), op);
    }
    return l;
  }
  function unary(): CelProgram {
    if (isOp('!')) {
      p++;
      const e = unary();
      return (v) => !asBool(e(v), '!');
    }
    if (isOp('-')) {
      p++;
      const e = unary();
      return (v) => -asNum(e(v), '-');
    }
    return member();
  }
  /** A primary followed by `.field` selections. */
  function member(): CelProgram {
    let e = primary();
    while (isOp('.')) {
      p++;
      const t = peek();
      if (t.kind !== 'id') throw new CelError(`expected a field name at ${t.pos}`);
      p++;
      const base = e;
      const field = t.text;
      e = (v) => select(base(v), field);
    }
    return e;
  }
  function primary(): CelProgram {
    const t = peek();
    if (t.kind === 'num') {
      p++;
      return () => t.num;
    }
    if (t.kind === 'str') {
      p++;
      return () => t.text;
    }
    if (t.kind === 'op' && t.text === '(') {
      p++;
      const e = ternary();
      expect(')');
      return e;
    }
    if (t.kind === 'id') {
      p++;
      if (t.text === 'true') return () => true;
      if (t.text === 'false') return () => false;
      if (t.text === 'null') return () => null;
      if (t.text === 'has') {
        // has(v.a.b): v.a is evaluated, then the presence of b on it is tested.
        expect('(');
        let owner = variable();
        let field = '';
        while (isOp('.')) {
          p++;
          const f = peek();
          if (f.kind !== 'id') throw new CelError(`expected a field name at ${f.pos}`);
          p++;
          if (field !== '') {
            const o = owner;
            const name = field;
            owner = (v) => select(o(v), name);
          }
          field = f.text;
        }
        if (field === '') throw new CelError(`has() needs a field selection at ${t.pos}`);
        expect(')');
        const o = owner;
        const name = field;
        return (v) => {
          const obj = o(v);
          if (obj === null || typeof obj !== 'object') throw new CelError(`has(): no field '${name}' on a non-object`);
          return Object.hasOwn(obj, name);
        };
      }
      if (!variables.includes(t.text)) throw new CelError(`undeclared reference to '${t.text}' at ${t.pos}`);
      const name = t.text;
      return (v) => {
        const x = v[name];
        if (x === undefined) throw new CelError(`no such variable '${name}'`);
        return x;
      };
    }
    throw new CelError(`unexpected '${t.text || 'end of input'}' at ${t.pos}`);
  }
  function variable(): CelProgram {
    const t = peek();
    if (t.kind !== 'id' || !variables.includes(t.text)) throw new CelError(`has() needs a selection on a declared variable at ${t.pos}`);
    p++;
    const name = t.text;
    return (v) => v[name] ?? null;
  }

  const prog = ternary();
  if (peek().kind !== 'end') throw new CelError(`unexpected '${peek().text}' at ${peek().pos}`);
  return prog;
}

function select(obj: CelValue, field: string): CelValue {
  if (obj === null || typeof obj !== 'object') throw new CelError(`no field '${field}' on a non-object`);
  if (!Object.hasOwn(obj, field)) throw new CelError(`no such key: ${field}`);
  return obj[field]!;
}

function asNum(x: CelValue, op: string): number {
  if (typeof x !== 'number') throw new CelError(`no such overload: ${op} on ${x === null ? 'null' : typeof x}`);
  return x;
}

function asBool(x: CelValue, op: string): boolean {
  if (typeof x !== 'boolean') throw new CelError(`no such overload: ${op} on ${x === null ? 'null' : typeof x}`);
  return x;
}
