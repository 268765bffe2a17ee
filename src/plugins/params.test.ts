import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationMsParam, parseGoDurationMs, readParams } from './params.ts';

const durations: [string, number | undefined][] = [
  ['200ms', 200],
  ['2s', 2000],
  ['1.5s', 1500],
  ['1m30s', 90_000],
  ['500us', 0.5],
  ['0', 0],
  ['', undefined],
  ['5', undefined],
  ['2 s', undefined],
  ['1x', undefined],
];
for (const [text, want] of durations) {
  test(`parseGoDurationMs(${JSON.stringify(text)})`, () => assert.equal(parseGoDurationMs(text), want));
}

test('durationMsParam: numbers are milliseconds, default when absent', () => {
  assert.equal(durationMsParam('p', { d: 250 }, 'd', 1), 250);
  assert.equal(durationMsParam('p', {}, 'd', 7), 7);
  assert.throws(() => durationMsParam('p', { d: -1 }, 'd', 1), /plugin "p": parameters\.d: must be a duration/);
});

test('readParams: absent or null is empty; unknown keys rejected with the known list', () => {
  assert.deepEqual(readParams('p', undefined, ['a']), {});
  assert.deepEqual(readParams('p', null, ['a']), {});
  assert.throws(() => readParams('p', { b: 1 }, ['a']), /plugin "p": parameters\.b: unknown parameter \(known: a\)/);
  assert.throws(() => readParams('p', 'x', ['a']), /parameters must be a mapping/);
});
