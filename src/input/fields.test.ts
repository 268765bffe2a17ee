import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  asList,
  asMap,
  checkName,
  child,
  describe,
  FieldError,
  FieldProblems,
  onlyFields,
  optBool,
  optEnum,
  optInt,
  optMap,
  optNumber,
  optString,
  optTimestamp,
  reqInt,
  reqString,
  stringMap,
  unknownFields,
} from './fields.ts';

test('child: dotted paths, list indices, quoted non-identifier keys', () => {
  assert.equal(child('', 'spec'), 'spec');
  assert.equal(child('spec', 'selector'), 'spec.selector');
  assert.equal(child('plugins', 2), 'plugins[2]');
  assert.equal(child(child('plugins', 2), 'parameters'), 'plugins[2].parameters');
  assert.equal(child('metadata.labels', 'app/x'), 'metadata.labels["app/x"]');
  assert.equal(child('', 'a-b'), '["a-b"]');
});

test('describe: short renderings of bad values', () => {
  const cases: [unknown, string][] = [
    [undefined, 'nothing'],
    [null, 'nothing'],
    [[1], 'a list'],
    [{}, 'a mapping'],
    ['x', '"x"'],
    [3, '3'],
    [true, 'true'],
    [new Date(0), 'a timestamp (1970-01-01T00:00:00.000Z)'],
    ['y'.repeat(100), `"${'y'.repeat(56)}...`],
  ];
  for (const [v, want] of cases) assert.equal(describe(v), want);
});

// Each reader: [call, expected value | [path, message]].
type Case = [string, () => unknown, unknown];
const cases: Case[] = [
  ['asMap ok', () => asMap({ a: 1 }, 'p'), { a: 1 }],
  ['asMap absent', () => asMap(null, 'p'), ['p', 'required']],
  ['asMap list', () => asMap([], 'p'), ['p', 'must be a mapping, got a list']],
  ['asMap date', () => asMap(new Date(0), 'p'), ['p', 'must be a mapping, got a timestamp (1970-01-01T00:00:00.000Z)']],
  ['optMap absent', () => optMap(undefined, 'p'), undefined],
  ['asList ok', () => asList([1, 2], 'p', 1, 2), [1, 2]],
  ['asList absent, optional', () => asList(undefined, 'p'), []],
  ['asList absent, required', () => asList(undefined, 'p', 1), ['p', 'required']],
  ['asList not a list', () => asList('x', 'p'), ['p', 'must be a list, got "x"']],
  ['asList too long', () => asList([1, 2, 3], 'p', 1, 2), ['p', 'must have 1-2 items, got 3']],
  ['reqString ok', () => reqString({ k: 'v' }, 'k', 'p'), 'v'],
  ['reqString absent', () => reqString({}, 'k', 'p'), ['p.k', 'required']],
  ['reqString null', () => reqString({ k: null }, 'k', 'p'), ['p.k', 'required']],
  ['reqString empty', () => reqString({ k: '' }, 'k', 'p'), ['p.k', 'must not be empty']],
  ['reqString number', () => reqString({ k: 1 }, 'k', 'p'), ['p.k', 'must be a string, got 1']],
  ['optString too long', () => optString({ k: 'abc' }, 'k', 'p', 2), ['p.k', 'must be at most 2 characters, got 3']],
  ['optString empty allowed', () => optString({ k: '' }, 'k', 'p', 5, 0), ''],
  ['reqInt ok', () => reqInt({ n: 8000 }, 'n', 'p', 1, 65535), 8000],
  ['reqInt text', () => reqInt({ n: 'abc' }, 'n', 'p', 1, 65535), ['p.n', 'must be an integer 1-65535, got "abc"']],
  ['optInt fraction', () => optInt({ n: 1.5 }, 'n', '', 0, 10), ['n', 'must be an integer 0-10, got 1.5']],
  ['optInt negative range', () => optInt({ n: -11 }, 'n', '', -10, 10), ['n', 'must be an integer -10 to 10, got -11']],
  ['optInt open range', () => optInt({ n: 0 }, 'n', '', 1, Number.MAX_SAFE_INTEGER), ['n', 'must be an integer >= 1, got 0']],
  ['optInt non-negative', () => optInt({ n: -1 }, 'n', '', 0, Infinity), ['n', 'must be a non-negative integer, got -1']],
  ['optNumber ok', () => optNumber({ w: 0.5 }, 'w', '', 0, 1), 0.5],
  ['optNumber non-negative', () => optNumber({ w: -1 }, 'w', 'r', 0), ['r.w', 'must be a non-negative number, got -1']],
  ['optNumber string', () => optNumber({ w: '2' }, 'w', 'r', 0), ['r.w', 'must be a non-negative number, got "2"']],
  ['optNumber NaN', () => optNumber({ w: NaN }, 'w', 'r', 0, 1), ['r.w', 'must be a number 0-1, got NaN']],
  ['optBool ok', () => optBool({ b: false }, 'b', ''), false],
  ['optBool string', () => optBool({ b: 'yes' }, 'b', ''), ['b', 'must be true or false, got "yes"']],
  ['optEnum ok', () => optEnum({ e: 'B' }, 'e', 'p', ['A', 'B']), 'B'],
  ['optEnum bad', () => optEnum({ e: 'C' }, 'e', 'p', ['A', 'B']), ['p.e', 'must be one of A, B, got "C"']],
  ['stringMap ok', () => stringMap({ a: 'x' }, 'p'), { a: 'x' }],
  ['stringMap absent', () => stringMap(undefined, 'p'), {}],
  ['stringMap number value', () => stringMap({ v: 1 }, 'p'), ['p.v', 'must be a string, got 1 (quote it)']],
  ['stringMap too few', () => stringMap({}, 'p', 1, 64), ['p', 'must have 1-64 entries, got 0']],
  ['onlyFields ok', () => onlyFields({ a: 1 }, 'p', ['a', 'b']), undefined],
  ['onlyFields unknown', () => onlyFields({ a: 1, c: 2 }, 'p', ['a', 'b']), ['p.c', 'unknown field (allowed: a, b)']],
  ['onlyFields unknown even when null', () => onlyFields({ c: null }, 'p', ['a']), ['p.c', 'unknown field (allowed: a)']],
  ['onlyFields noun, none allowed', () => onlyFields({ x: 1 }, '', [], 'parameter'), ['x', 'unknown parameter (none allowed)']],
  ['optTimestamp text', () => optTimestamp({ t: '2025-01-31T12:00:00Z' }, 't', 'metadata'), Date.UTC(2025, 0, 31, 12)],
  ['optTimestamp Date', () => optTimestamp({ t: new Date(5) }, 't', 'metadata'), 5],
  ['optTimestamp absent', () => optTimestamp({}, 't', 'metadata'), undefined],
  ['optTimestamp bad', () => optTimestamp({ t: 'yesterday' }, 't', 'metadata'), ['metadata.t', 'must be an RFC 3339 time like 2025-01-31T12:00:00Z, got "yesterday"']],
  ['checkName ok', () => checkName('my-pool.v1', 'metadata.name'), undefined],
  ['checkName upper', () => checkName('Pool', 'metadata.name'), ['metadata.name', /must be a lowercase RFC 1123 name/]],
  ['checkName too long', () => checkName('a'.repeat(64), 'metadata.namespace', 63), ['metadata.namespace', /at most 63 characters/]],
];
for (const [name, call, want] of cases) {
  test(`fields: ${name}`, () => {
    if (Array.isArray(want) && want.length === 2 && typeof want[0] === 'string' && (typeof want[1] === 'string' || want[1] instanceof RegExp)) {
      const [path, message] = want as [string, string | RegExp];
      assert.throws(call, (e: unknown) => {
        assert.ok(e instanceof FieldError, String(e));
        assert.equal(e.path, path);
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      });
    } else {
      assert.deepEqual(call(), want);
    }
  });
}

test('FieldError.text: path and message, or the message alone at the root', () => {
  assert.equal(new FieldError('a.b', 'required').text(), 'a.b: required');
  assert.equal(new FieldError('', 'must be a mapping').text(), 'must be a mapping');
});

test('FieldProblems: collects every FieldError, rethrows anything else', () => {
  const p = new FieldProblems();
  assert.equal(p.read(() => reqString({}, 'type', 'plugins[0]')), undefined);
  assert.equal(p.read(() => reqString({ type: 'x' }, 'type', 'plugins[1]')), 'x');
  p.add('', 'top');
  for (const e of unknownFields({ a: 1, b: 2, c: 3 }, 'r', ['b'])) p.add(e.path, e.message);
  assert.deepEqual(p.list, ['plugins[0].type: required', 'top', 'r.a: unknown field (allowed: b)', 'r.c: unknown field (allowed: b)']);
  assert.throws(() => p.read(() => { throw new TypeError('bug'); }), TypeError);
});
