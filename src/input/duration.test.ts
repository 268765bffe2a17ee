import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optDuration, parseDuration, type DurationOptions } from './duration.ts';
import { FieldError } from './fields.ts';

// Go time.ParseDuration cases (most from its own test table), in milliseconds.
const valid: [string, number, DurationOptions?][] = [
  ['0', 0],
  ['+0', 0],
  ['-0', 0],
  ['5s', 5000],
  ['30s', 30_000],
  ['1478s', 1_478_000],
  ['+5s', 5000],
  ['50ms', 50],
  ['1.5s', 1500],
  ['2m30s', 150_000],
  ['1h', 3_600_000],
  ['1.5h', 5_400_000],
  ['1h30m', 5_400_000],
  ['3h30m10s', 12_610_000],
  ['300us', 0.3],
  ['300µs', 0.3], // U+00B5 micro sign
  ['300μs', 0.3], // U+03BC Greek mu
  ['10ns', 0.00001],
  ['1.9ns', 0.000001], // a fraction of a nanosecond is truncated, as in Go
  ['5.s', 5000],
  ['.5s', 500],
  ['1.0s', 1000],
  ['1.004s', 1004],
  ['100.00100s', 100_001],
  ['39h9m14.425s', 140_954_425],
  ['52763797000ns', 52_763.797],
  ['9223372036854775807ns', 9_223_372_036_854.775807], // the largest Go duration
  ['-5s', -5000, { allowNegative: true }],
  ['-1.5h', -5_400_000, { allowNegative: true }],
  ['-9223372036854775808ns', -9_223_372_036_854.775808, { allowNegative: true }],
  ['250', 250, { bareNumberMs: true }],
  ['0.5', 0.5, { bareNumberMs: true }],
  ['2s', 2000, { bareNumberMs: true }],
];
for (const [text, ms, options] of valid) {
  test(`duration ${JSON.stringify(text)}${options ? ` ${JSON.stringify(options)}` : ''} = ${ms} ms`, () => {
    assert.equal(parseDuration(text, 'f', options), ms);
  });
}

const invalid: [string, RegExp, DurationOptions?][] = [
  ['', /\(empty\)/],
  ['-', /\(empty\)/],
  ['+', /\(empty\)/],
  ['3', /\(missing unit\)/],
  ['250', /\(missing unit\)/], // Go: a bare number needs a unit unless the field opts in
  ['1h30', /\(missing unit\)/],
  ['s', /\(expected a number\)/],
  ['.', /\(expected a number\)/],
  ['-.', /\(expected a number\)/],
  ['.s', /\(expected a number\)/],
  ['+.s', /\(expected a number\)/],
  ['1d', /unknown unit "d"/],
  ['2 s', /unknown unit " s"/],
  [' 2s', /\(expected a number\)/],
  ['2s ', /unknown unit "s "/],
  ['1e3s', /unknown unit "e"/],
  ['fast', /\(expected a number\)/],
  ['9223372036854775808ns', /out of range/],
  ['3000000h', /out of range/],
  ['-5s', /must not be negative, got "-5s"/],
  ['-1', /\(missing unit\)/, { bareNumberMs: true }],
  ['1.', /\(missing unit\)/, { bareNumberMs: true }],
];
for (const [text, want, options] of invalid) {
  test(`duration ${JSON.stringify(text)}${options ? ` ${JSON.stringify(options)}` : ''} is rejected`, () => {
    assert.throws(
      () => parseDuration(text, 'spec.timeout', options),
      (e: unknown) => e instanceof FieldError && e.path === 'spec.timeout' && want.test(e.message),
    );
  });
}

test('duration errors name the field, the value and examples', () => {
  assert.throws(() => parseDuration('soon', '--refresh-metrics-interval'), {
    message: 'must be a duration such as "50ms", "1.5s" or "2m30s", got "soon" (expected a number)',
    path: '--refresh-metrics-interval',
  });
  assert.throws(() => parseDuration('soon', 'x', { bareNumberMs: true }), /or a number of milliseconds, got "soon"/);
});

test('optDuration: absent, strings, numbers as milliseconds only when asked', () => {
  assert.equal(optDuration({}, 'd', 'p'), undefined);
  assert.equal(optDuration({ d: null }, 'd', 'p'), undefined);
  assert.equal(optDuration({ d: '2s' }, 'd', 'p'), 2000);
  assert.equal(optDuration({ d: 250 }, 'd', 'p', { numbersAreMs: true }), 250);
  assert.throws(() => optDuration({ d: 250 }, 'd', 'p'), { path: 'p.d', message: 'must be a duration such as "50ms", "1.5s" or "2m30s", got 250' });
  assert.throws(() => optDuration({ d: -1 }, 'd', 'p', { numbersAreMs: true }), { path: 'p.d', message: 'must not be negative, got -1' });
  assert.throws(() => optDuration({ d: 'x' }, 'd', ''), { path: 'd' });
});
