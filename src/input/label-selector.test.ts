import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldError } from './fields.ts';
import {
  labelKeyProblem,
  labelSelectorString,
  labelValueProblem,
  matchesLabels,
  parseLabelSelector,
  readLabelSelector,
  selectorFromLabels,
  type LabelSelector,
} from './label-selector.ts';

// String syntax (labels.Parse): text -> canonical string (sorted keys and values, `==` as `=`).
const parses: [string, string][] = [
  ['', ''],
  ['  ', ''],
  ['x=a', 'x=a'],
  ['x==a', 'x=a'],
  ['x = a', 'x=a'],
  ['y=a,x=b', 'x=b,y=a'],
  ['x!=a', 'x notin (a)'],
  ['x', 'x'],
  ['!x', '!x'],
  [' ! x ', '!x'],
  ['x=', 'x='],
  ['x=,y=a', 'x=,y=a'],
  ['x in (b,a)', 'x in (a,b)'],
  ['x in(a)', 'x in (a)'],
  ['x in (a,a)', 'x in (a)'],
  ['x notin (a,b)', 'x notin (a,b)'],
  ['x in ()', 'x in ()'],
  ['x in (,a)', 'x in (,a)'],
  ['x in (a,)', 'x in (,a)'],
  ['x in (a,,b)', 'x in (,a,b)'],
  ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
  ['x in (in,notin)', 'x in (in,notin)'],
  ['in in (in)', 'in in (in)'],
  ['notin=in', 'notin=in'],
  ['x>1', 'x>1'],
  ['x<10', 'x<10'],
  ['x=a,x=b', 'x=a,x in (b)'],
  ['example.com/app=vllm', 'example.com/app=vllm'],
  ['a.b-c.d/x.Y_z-1=A.b_c-9', 'a.b-c.d/x.Y_z-1=A.b_c-9'],
  ['app==vllm,tier in (gpu),!canary,zone notin (z1)', 'app=vllm,!canary,tier in (gpu),zone notin (z1)'],
  ['x\t=\na', 'x=a'],
];
for (const [text, canonical] of parses) {
  test(`label selector ${JSON.stringify(text)} parses as ${JSON.stringify(canonical)}`, () => {
    const sel = parseLabelSelector(text, 'f');
    assert.equal(labelSelectorString(sel), canonical);
    // The canonical string parses back to the same selector (it is what the API server gets).
    assert.deepEqual(parseLabelSelector(canonical, 'f'), sel);
  });
}

const rejects: [string, RegExp][] = [
  ['x=a,', /found '', expected: identifier after ','/],
  [',x=a', /found ',', expected: !, identifier, or 'end of string'/],
  ['x=a,,y=b', /found ',', expected: identifier after ','/],
  ['x y', /found 'y', expected: in, notin, =, ==, !=, >, </],
  ['x=a b', /found 'b', expected: ',' or 'end of string'/],
  ['x in a', /found 'a', expected: '\('/],
  ['x in (a', /found '', expected: ',', '\)' or identifier/],
  ['x in (a b)', /found 'b', expected: ',', '\)' or identifier/],
  ['x notin', /found '', expected: '\('/],
  ['x=(a)', /found '\(', expected: identifier/],
  ['x===a', /found '=', expected: identifier/],
  ['!x=a', /found '=', expected: ',' or 'end of string'/],
  ['!x in (a)', /found 'in', expected: ',' or 'end of string'/],
  ['!', /found '', expected: identifier/],
  ['=a', /found '=', expected: !, identifier/],
  ['x>a', /must be an integer, got "a"/],
  ['x<', /must be an integer, got ""/],
  ['bad key=x', /found 'key', expected: in, notin/],
  ['Bad_Prefix.com/x=a', /invalid label key "Bad_Prefix.com\/x": invalid prefix/],
  ['a/b/c=x', /more than one "\/"/],
  ['/x=a', /empty prefix/],
  ['x/=a', /empty name/],
  ['-x=a', /invalid name "-x"/],
  [`${'k'.repeat(64)}=a`, /name longer than 63 characters/],
  ['x=-a', /invalid value "-a" for key "x"/],
  ['x=a!', /found '!', expected: ',' or 'end of string'/],
  ['x=a$', /invalid value "a\$"/],
  [`x=${'v'.repeat(64)}`, /longer than 63 characters/],
  ['x in (ok,-bad)', /invalid value "-bad"/],
];
for (const [text, want] of rejects) {
  test(`label selector ${JSON.stringify(text)} is rejected`, () => {
    assert.throws(
      () => parseLabelSelector(text, '--endpoint-selector'),
      (e: unknown) =>
        e instanceof FieldError &&
        e.path === '--endpoint-selector' &&
        e.message.startsWith('invalid label selector "') &&
        want.test(e.message),
    );
  });
}

test('label keys and values: Kubernetes IsQualifiedName / IsValidLabelValue', () => {
  for (const ok of ['a', 'A', '9', 'a.b', 'a-b_c.d', 'x'.repeat(63), 'example.com/a', `${'p'.repeat(253)}/a`]) assert.equal(labelKeyProblem(ok), undefined, ok);
  for (const bad of ['', '-a', 'a-', '_a', 'a b', 'x'.repeat(64), 'Example.com/a', 'a/', '/a', 'a/b/c', `${'p'.repeat(254)}/a`]) assert.ok(labelKeyProblem(bad), bad);
  for (const ok of ['', 'a', 'a.b-c_D', '0', 'v'.repeat(63)]) assert.equal(labelValueProblem(ok), undefined, ok);
  for (const bad of ['-a', 'a.', 'a b', 'a/b', 'v'.repeat(64)]) assert.ok(labelValueProblem(bad), bad);
});

// Matching (Requirement.Matches): [selector, labels, matches].
const matching: [string, Record<string, string>, boolean][] = [
  ['', {}, true],
  ['', { a: '1' }, true],
  ['app=vllm', { app: 'vllm' }, true],
  ['app==vllm', { app: 'vllm', x: 'y' }, true],
  ['app=vllm', { app: 'sglang' }, false],
  ['app=vllm', {}, false],
  ['app=', { app: '' }, true],
  ['app=', {}, false],
  ['app!=vllm', { app: 'sglang' }, true],
  ['app!=vllm', {}, true], // absent label: != matches
  ['app!=vllm', { app: 'vllm' }, false],
  ['app in (a,b)', { app: 'b' }, true],
  ['app in (a,b)', { app: 'c' }, false],
  ['app in (a,b)', {}, false],
  ['app in ()', { app: '' }, true],
  ['app notin (a,b)', { app: 'c' }, true],
  ['app notin (a,b)', {}, true], // absent label: notin matches
  ['app notin (a,b)', { app: 'a' }, false],
  ['app', { app: '' }, true],
  ['app', {}, false],
  ['!app', {}, true],
  ['!app', { app: 'x' }, false],
  ['!app', { app: '' }, false],
  ['gen>3', { gen: '4' }, true],
  ['gen>3', { gen: '3' }, false],
  ['gen>3', { gen: 'x' }, false],
  ['gen>3', {}, false],
  ['gen<3', { gen: '2' }, true],
  ['gen<3', { gen: '03' }, false],
  ['app=a,app=b', { app: 'a' }, false],
  ['app=vllm,!canary,tier in (gpu,tpu)', { app: 'vllm', tier: 'tpu' }, true],
  ['app=vllm,!canary,tier in (gpu,tpu)', { app: 'vllm', tier: 'tpu', canary: 'true' }, false],
];
for (const [text, labels, want] of matching) {
  test(`${JSON.stringify(text)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
    assert.equal(matchesLabels(parseLabelSelector(text, 'f'), labels), want);
  });
}

test('matching uses own properties only', () => {
  assert.equal(matchesLabels(parseLabelSelector('constructor', 'f'), {}), false);
  assert.equal(matchesLabels(parseLabelSelector('!toString', 'f'), {}), true);
});

test('structured form: matchLabels and matchExpressions compile to the same selector as the string form', () => {
  const structured = readLabelSelector(
    {
      matchLabels: { app: 'vllm' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['tpu', 'gpu'] },
        { key: 'zone', operator: 'NotIn', values: ['z1'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'ready', operator: 'Exists', values: [] },
      ],
    },
    'spec.selector',
    { expressions: true },
  );
  const text = parseLabelSelector('app==vllm,tier in (gpu,tpu),zone!=z1,!canary,ready', 'f');
  assert.equal(labelSelectorString(structured), labelSelectorString(text));
  assert.equal(labelSelectorString(structured), 'app=vllm,!canary,ready,tier in (gpu,tpu),zone notin (z1)');
  const samples: Record<string, string>[] = [{ app: 'vllm', tier: 'gpu', ready: '' }, { app: 'vllm', tier: 'gpu' }, { app: 'vllm', tier: 'gpu', ready: 'y', zone: 'z1' }];
  for (const labels of samples) {
    assert.equal(matchesLabels(structured, labels), matchesLabels(text, labels), JSON.stringify(labels));
  }
  assert.deepEqual(readLabelSelector({}, 'p', { expressions: true }), { matchLabels: {}, matchExpressions: [] });
});

const structuredErrors: [unknown, boolean, string, RegExp][] = [
  ['x', true, 'spec.selector', /^must be a mapping, got "x"$/],
  [{ matchLabels: { app: 'x' }, matchExpressions: [] }, false, 'spec.selector.matchExpressions', /^unknown field \(allowed: matchLabels\)$/],
  [{ matchLabels: {} }, false, 'spec.selector.matchLabels', /^must have 1-64 entries, got 0$/],
  [{ matchLabels: { app: 3 } }, true, 'spec.selector.matchLabels.app', /^must be a string, got 3 \(quote it\)$/],
  [{ matchLabels: { 'a b': 'x' } }, true, 'spec.selector.matchLabels["a b"]', /^must be a valid label key: invalid name "a b"/],
  [{ matchLabels: { app: 'x y' } }, true, 'spec.selector.matchLabels.app', /^must be a valid label value, got "x y"/],
  [{ matchExpressions: {} }, true, 'spec.selector.matchExpressions', /^must be a list, got a mapping$/],
  [{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, true, 'spec.selector.matchExpressions[0].operator', /^must be one of In, NotIn, Exists, DoesNotExist, got "Gt"$/],
  [{ matchExpressions: [{ key: 'a', operator: 'in', values: ['1'] }] }, true, 'spec.selector.matchExpressions[0].operator', /^must be one of/],
  [{ matchExpressions: [{ key: 'a' }] }, true, 'spec.selector.matchExpressions[0].operator', /^required$/],
  [{ matchExpressions: [{ operator: 'Exists' }] }, true, 'spec.selector.matchExpressions[0].key', /^required$/],
  [{ matchExpressions: [{ key: 'a', operator: 'In' }] }, true, 'spec.selector.matchExpressions[0].values', /^required: at least one value when operator is In$/],
  [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }, true, 'spec.selector.matchExpressions[0].values', /^required: at least one value/],
  [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, true, 'spec.selector.matchExpressions[0].values', /^must be empty when operator is Exists$/],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 5] }] }, true, 'spec.selector.matchExpressions[0].values[1]', /^must be a string, got 5/],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['-x'] }] }, true, 'spec.selector.matchExpressions[0].values[0]', /^must be a valid label value, got "-x"/],
  [{ matchExpressions: [{ key: '-a', operator: 'Exists' }] }, true, 'spec.selector.matchExpressions[0].key', /^must be a valid label key, got "-a"/],
  [{ matchExpressions: [{ key: 'a', operator: 'Exists', extra: 1 }] }, true, 'spec.selector.matchExpressions[0].extra', /^unknown field \(allowed: key, operator, values\)$/],
];
for (const [raw, expressions, path, want] of structuredErrors) {
  test(`structured selector error at ${path}: ${want.source}`, () => {
    assert.throws(
      () => readLabelSelector(raw, 'spec.selector', { expressions, minLabels: expressions ? 0 : 1, maxLabels: 64 }),
      (e: unknown) => e instanceof FieldError && e.path === path && want.test(e.message),
    );
  });
}

test('a matchLabels-only selector prints as sorted k=v (the pre-existing query and Lease-name form)', () => {
  const s: LabelSelector = selectorFromLabels({ tier: 'gpu', app: 'x' });
  assert.equal(labelSelectorString(s), 'app=x,tier=gpu');
  assert.equal(labelSelectorString(selectorFromLabels({})), '');
});
