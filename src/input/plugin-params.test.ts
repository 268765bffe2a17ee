import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boolParam, durationMsParam, intParam, numberParam, readParams } from './plugin-params.ts';

// Duration syntax itself is tested in src/input/duration.test.ts; here: how parameters use it.
const durations: [unknown, number | RegExp][] = [
  ['200ms', 200],
  ['1.5s', 1500],
  ['1m30s', 90_000],
  ['500us', 0.5],
  ['0', 0],
  [250, 250],
  [0, 0],
  ['', /parameters\.d: must be a duration such as "50ms", "1\.5s" or "2m30s", got "" \(empty\)/],
  ['5', /parameters\.d: must be a duration .*got "5" \(missing unit\)/],
  ['2 s', /parameters\.d: must be a duration .*unknown unit " s"/],
  ['-1s', /parameters\.d: must not be negative, got "-1s"/],
  [-1, /plugin "p": parameters\.d: must not be negative, got -1/],
  [true, /parameters\.d: must be a duration .*got true/],
];
for (const [value, want] of durations) {
  test(`durationMsParam(${JSON.stringify(value)})`, () => {
    if (typeof want === 'number') assert.equal(durationMsParam('p', { d: value }, 'd', 7), want);
    else assert.throws(() => durationMsParam('p', { d: value }, 'd', 7), want);
  });
}

test('params: default when absent or null', () => {
  assert.equal(durationMsParam('p', {}, 'd', 7), 7);
  assert.equal(numberParam('p', { n: null }, 'n', 0.5, 0, 1), 0.5);
  assert.equal(intParam('p', {}, 'n', 3, 1), 3);
  assert.equal(boolParam('p', {}, 'b', true), true);
});

test('params: typed readers name the plugin and the field', () => {
  assert.throws(() => numberParam('p', { n: 2 }, 'n', 0, 0, 1), /^PluginConfigError: plugin "p": parameters\.n: must be a number 0-1, got 2$/);
  assert.throws(() => numberParam('p', { n: -1 }, 'n', 0, 0), /parameters\.n: must be a non-negative number, got -1/);
  assert.throws(() => intParam('p', { n: 1.5 }, 'n', 0, 1), /parameters\.n: must be an integer >= 1, got 1\.5/);
  assert.throws(() => boolParam('p', { b: 'yes' }, 'b', false), /parameters\.b: must be true or false, got "yes"/);
});

test('readParams: absent or null is empty; unknown keys rejected with the allowed list', () => {
  assert.deepEqual(readParams('p', undefined, ['a']), {});
  assert.deepEqual(readParams('p', null, ['a']), {});
  assert.throws(() => readParams('p', { b: 1 }, ['a']), /plugin "p": parameters\.b: unknown parameter \(allowed: a\)/);
  assert.throws(() => readParams('p', { b: null }, ['a']), /parameters\.b: unknown parameter/);
  assert.throws(() => readParams('p', { b: 1 }, []), /parameters\.b: unknown parameter \(none allowed\)/);
  assert.throws(() => readParams('p', 'x', ['a']), /plugin "p": parameters must be a mapping, got "x"/);
});
