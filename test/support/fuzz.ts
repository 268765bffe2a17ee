/**
 * Seeded generators for the fuzz suites (test/protocol-fuzz.test.ts, test/body-fuzz.test.ts): request bodies of
 * every API shape, JSON edge cases, mutations of them, random bytes. EPP_FUZZ_SEED fixes the seed; the default
 * is fixed too, so CI runs the same cases every time.
 */

export const FUZZ_SEED = process.env.EPP_FUZZ_SEED === undefined ? 20_261_204 : Number(process.env.EPP_FUZZ_SEED);

export function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

export function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

const STRINGS = ['', 'hello', 'a"b\\c', '\u0000', '\ud800', '😀', '\u2028', '[[{{', 'x'.repeat(300), '\\u0000'];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e308, -1e308, 4294967295, 4294967296, 2 ** 53 + 1, 5e-324];

/** A random JSON value of bounded size and depth. */
export function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth <= 0 || r < 0.35) {
    switch (Math.floor(rnd() * 5)) {
      case 0: return pick(rnd, STRINGS);
      case 1: return pick(rnd, NUMBERS);
      case 2: return rnd() < 0.5;
      case 3: return null;
      default: return Math.floor(rnd() * 50_000);
    }
  }
  if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 4); i > 0; i--) o[pick(rnd, [...FIELDS, ...STRINGS])] = randomValue(rnd, depth - 1);
  return o;
}

/** Field names the parsers read, so random objects hit their checks. */
const FIELDS = ['model', 'prompt', 'messages', 'role', 'content', 'type', 'text', 'image_url', 'url', 'input_audio', 'tools', 'tool_calls', 'documents', 'system', 'input', 'instructions', 'items', 'stream', 'cache_salt', 'token_ids', 'input_ids', 'extra_key', 'features', 'n', 'size', 'chat_template', 'chat_template_kwargs', 'metadata', 'stream_options'];

/** A body of one API's shape with random values in some fields. */
export function shapedBody(rnd: () => number): Record<string, unknown> {
  const v = () => (rnd() < 0.7 ? undefined : randomValue(rnd, 3));
  const or = <T>(good: T) => (rnd() < 0.8 ? good : randomValue(rnd, 3));
  const model = or('m');
  switch (Math.floor(rnd() * 8)) {
    case 0: return { model, prompt: or(pick(rnd, ['hello', ['a', 'b'], [1, 2, 3], ''])), stream: v(), cache_salt: v() };
    case 1: return { model, messages: or([{ role: 'user', content: or(pick(rnd, ['hi', [{ type: 'text', text: 'hi' }], [{ type: 'image_url', image_url: { url: 'http://x' } }]])) }]), tools: v(), documents: v(), chat_template_kwargs: v() };
    case 2: return { model, input: or(pick(rnd, ['hi', [{ role: 'user', content: 'hi' }]])), instructions: v(), tools: v() };
    case 3: return { model, input: or(pick(rnd, ['hi', ['a'], [1, 2]])) };
    case 4: return { model, items: or([{ type: 'message', role: 'user' }]), metadata: v() };
    case 5: return { model, system: or(pick(rnd, ['be brief', [{ type: 'text', text: 's' }]])), messages: or([{ role: 'user', content: 'hi' }]), tools: v(), max_tokens: 5 };
    case 6: return { model, token_ids: or([1, 2, 3]), cache_salt: v(), features: v() };
    default: return { input_ids: or([1, 2, 3]), extra_key: v(), stream: v() };
  }
}

/** Ways to damage JSON text. */
export function mutateText(rnd: () => number, text: string): string {
  if (text.length === 0) return '{';
  const i = Math.floor(rnd() * text.length);
  switch (Math.floor(rnd() * 6)) {
    case 0: return text.slice(0, i); // truncated
    case 1: return text.slice(0, i) + text.slice(i + 1); // a character dropped
    case 2: return text.slice(0, i) + pick(rnd, ['"', '\\', '{', ']', ',', ':', '\u0000', '\ud800', 'NaN', '1e999']) + text.slice(i);
    case 3: return text.slice(0, i) + text.slice(i, i + 20) + text.slice(i); // a piece repeated
    case 4: return `${text.slice(0, -1)},${JSON.stringify(pick(rnd, FIELDS))}:${JSON.stringify(randomValue(rnd, 2))}}`; // a duplicate key
    default: return ` \t\n${text}\r\n`;
  }
}

/** JSON edge cases: not objects, huge and deep values, odd encodings. */
export function edgeCases(maxBytes: number): Buffer[] {
  const half = Math.floor(maxBytes / 2);
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  return [
    '', ' ', 'null', 'true', '[]', '"model"', '123', '{}', '{"model":null}', '{"model":1,"prompt":"p"}', '{"model":"m","prompt":"p"}{"x":1}',
    '{"model":"m","prompt":"p",}', "{'model':'m'}", '{"model":"m","prompt":"\\ud800"}', '{"__proto__":{"model":"x"},"model":"m","prompt":"p"}',
    '{"constructor":{"prototype":{}},"model":"m","prompt":"p"}', `{"model":"m","prompt":${deep(999)}}`, `{"model":"m","prompt":"p","x":${deep(1000)}}`,
    `{"model":"m","prompt":${deep(Math.floor(half / 2))}}`, `{"model":"m","prompt":"${'x'.repeat(half)}"}`, `{"model":"m","prompt":[${'1,'.repeat(Math.floor(half / 2))}1]}`,
    `{"model":"m","messages":[${'{"role":"user","content":"c"},'.repeat(Math.floor(half / 32))}{"role":"user","content":"c"}]}`,
    `{"model":"${'m'.repeat(half)}","prompt":"p"}`, `{"model":"m","prompt":"${'\\u00e9'.repeat(Math.floor(half / 6))}"}`,
  ].map((s) => Buffer.from(s)).concat([Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"model":"m","prompt":"p"}')]), Buffer.from('{"model":"m","prompt":"é"}', 'latin1'), Buffer.from('{"model":"m","prompt":"p"}', 'utf16le')]);
}

/** Bodies for the protocol fuzzer: shaped, mutated, edge cases and random bytes, up to maxBytes. */
export function bodyCorpus(rnd: () => number, maxBytes: number): Buffer[] {
  const out = edgeCases(maxBytes);
  for (let i = 0; i < 200; i++) {
    const text = JSON.stringify(shapedBody(rnd));
    out.push(Buffer.from(rnd() < 0.3 ? mutateText(rnd, text) : text));
  }
  for (let i = 0; i < 20; i++) out.push(randomBytes(rnd, Math.floor(rnd() * 512)));
  return out;
}
