import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelEquals, labelValue, parseValue, PromParseError, PromScanner } from './prom-text.ts';
import { parseNaive } from '../../test/support/datalayer/prom-text-naive.ts';
import { fixture, RecordingSink, SGLANG_FIXTURE, TRITON_FIXTURE, VLLM_FIXTURE } from '../../test/support/datalayer/fixtures.ts';

function scan(page: string, names: string[]): RecordingSink {
  const sink = new RecordingSink(names);
  new PromScanner(names).scan(page, sink);
  return sink;
}

for (const file of [VLLM_FIXTURE, SGLANG_FIXTURE, TRITON_FIXTURE]) {
  test(`${file}: scanning each metric name alone finds exactly the full parser's samples`, () => {
    const page = fixture(file);
    const all = parseNaive(page);
    const names = [...new Set(all.map((s) => s.name))];
    assert.ok(names.length > 10);
    for (const name of names) {
      const expected = all.filter((s) => s.name === name);
      const got = scan(page, [name]).samples;
      assert.equal(got.length, expected.length, name);
      got.forEach((s, i) => {
        const e = expected[i]!;
        assert.ok(Object.is(s.value, e.value), `${name}[${i}] value ${s.value} != ${e.value}`);
        for (const [k, v] of Object.entries(e.labels)) assert.equal(s.label(k), v, `${name}[${i}] label ${k}`);
      });
    }
    // All names at once: page order, every sample once.
    const together = scan(page, names).samples;
    assert.deepEqual(
      together.map((s) => s.name),
      all.map((s) => s.name),
    );
  });
}

test('names match exactly, never as a prefix', () => {
  const page = fixture(VLLM_FIXTURE);
  // The page has queries_total and queries_created; the bare name is not a sample.
  assert.equal(scan(page, ['vllm:prefix_cache_queries']).samples.length, 0);
  const created = scan(page, ['vllm:prefix_cache_queries_created']).samples;
  assert.equal(created.length, 1);
  assert.ok(created[0]!.value > 1e9, 'the _created gauge is a unix time');
  const total = scan(page, ['vllm:prefix_cache_queries_total']).samples;
  assert.equal(total.length, 1);
  assert.equal(total[0]!.value, 1394703);
  const waiting = scan(page, ['vllm:num_requests_waiting']).samples;
  assert.equal(waiting.length, 1, 'num_requests_waiting_by_reason is another metric');
});

test('comment lines are skipped, including HELP with a trailing space and TYPE', () => {
  const page = ['# HELP m Something. ', '# TYPE m gauge', 'm 1', '#m 7', 'mm 2', 'm_x 3', ''].join('\n');
  assert.deepEqual(
    scan(page, ['m']).samples.map((s) => s.value),
    [1],
  );
});

test('first line, last line without newline, CRLF line ends, tab separator, timestamp', () => {
  const page = 'a{x="1"} 1.5\r\nb 2\r\na{x="2"}\t3 1700000000000\r\nc 4\na 5';
  const s = scan(page, ['a', 'c']).samples;
  assert.deepEqual(
    s.map((x) => [x.name, x.value]),
    [
      ['a', 1.5],
      ['a', 3],
      ['c', 4],
      ['a', 5],
    ],
  );
  assert.equal(s[1]!.label('x'), '2');
});

test('labels: escapes, braces and commas inside values, order either way, spaces, trailing comma', () => {
  const page = [
    'm{a="q\\"uote",b="back\\\\slash",c="new\\nline",d="br}ace,comma=eq"} 1',
    'm{model_name="llama",engine="1"} 2',
    'm{engine="1",model_name="llama"} 3',
    'm{ engine = "7" , model_name="x", } 4',
    'm{} 5',
    '',
  ].join('\n');
  const s = scan(page, ['m']).samples;
  assert.equal(s.length, 5);
  assert.equal(s[0]!.label('a'), 'q"uote');
  assert.equal(s[0]!.label('b'), 'back\\slash');
  assert.equal(s[0]!.label('c'), 'new\nline');
  assert.equal(s[0]!.label('d'), 'br}ace,comma=eq');
  assert.equal(s[0]!.label('e'), undefined);
  assert.equal(s[1]!.label('engine'), '1');
  assert.equal(s[2]!.label('engine'), '1');
  assert.equal(s[1]!.label('model_name'), s[2]!.label('model_name'));
  assert.equal(s[3]!.label('engine'), '7');
  assert.equal(s[3]!.label('model_name'), 'x');
  assert.equal(s[4]!.label('engine'), undefined);
  assert.equal(s[4]!.value, 5);
});

test('labelEquals compares raw and escaped values', () => {
  const page = 'm{t="waiting",u="a\\"b"} 1';
  const s = 2;
  const e = page.indexOf('}');
  assert.equal(labelEquals(page, s, e, 't', 'waiting'), true);
  assert.equal(labelEquals(page, s, e, 't', 'wait'), false);
  assert.equal(labelEquals(page, s, e, 't', 'waitingx'), false);
  assert.equal(labelEquals(page, s, e, 'u', 'a"b'), true);
  assert.equal(labelEquals(page, s, e, 'v', ''), false);
  // A label name that is a prefix of another is not that label.
  assert.equal(labelValue('m{type="x"} 1', 2, 10, 'typ'), undefined);
});

test('values: Python float repr, Go repr, infinities, NaN', () => {
  const cases: [string, number][] = [
    ['0.0', 0],
    ['5463.0', 5463],
    ['1.394703e+06', 1394703],
    ['1.7906216241398244e+09', 1.7906216241398244e9],
    ['0.007507552643049313', 0.007507552643049313],
    ['-0.5', -0.5],
    ['512', 512],
    ['+Inf', Infinity],
    ['Inf', Infinity],
    ['-Inf', -Infinity],
    ['1e-05', 1e-5],
    ['.5', 0.5],
  ];
  for (const [text, want] of cases) assert.ok(Object.is(parseValue(text, 0, text.length), want), text);
  assert.ok(Number.isNaN(parseValue('NaN', 0, 3)));
  assert.ok(Number.isNaN(parseValue('abc', 0, 3)));
  assert.ok(Number.isNaN(parseValue('0x1f', 0, 4)));
  assert.ok(Number.isNaN(parseValue('1.2.3', 0, 5)));
});

test('the decimal fast path agrees with Number() bit for bit', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 5000; i++) {
    const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 4);
    for (const text of [String(x), x.toFixed(Math.floor(rand() * 10)), x.toPrecision(1 + Math.floor(rand() * 16))]) {
      assert.ok(Object.is(parseValue(text, 0, text.length), Number(text)), text);
    }
  }
});

test('malformed wanted lines throw PromParseError; unwanted ones are not read', () => {
  assert.throws(() => scan('m{a="b" 1\n', ['m']), PromParseError);
  assert.throws(() => scan('m{a="b"}\n', ['m']), /sample without a value/);
  assert.throws(() => scan('m \n', ['m']), PromParseError);
  const bad = scan('m{a="b" c="d"} 1\n', ['m']).samples[0]!;
  assert.throws(() => bad.label('c'), PromParseError);
  assert.throws(() => scan('m{a=b} 1\n', ['m']).samples[0]!.label('a'), /not quoted/);
  // Garbage in other metrics does not matter.
  assert.equal(scan('x{{{ garbage\nm 1\n', ['m']).samples[0]!.value, 1);
});

test('a line separator inside a label value is not a line start', () => {
  const page = 'other{v="x\u2028m{a=\\"1\\"} 9"} 1\nm 2\n';
  assert.deepEqual(
    scan(page, ['m']).samples.map((s) => s.value),
    [2],
  );
});

test('a scanner is reusable and names with regex metacharacters are literal', () => {
  const scanner = new PromScanner(['a.b']);
  const sink = new RecordingSink(['a.b']);
  scanner.scan('axb 1\na.b 2\n', sink);
  scanner.scan('a.b 3\n', sink);
  assert.deepEqual(
    sink.samples.map((s) => s.value),
    [2, 3],
  );
});
