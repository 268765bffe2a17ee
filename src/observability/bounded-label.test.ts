import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedLabel, MAX_LABEL_LENGTH, MAX_LABEL_VALUES, OVERFLOW_VALUE } from './bounded-label.ts';

test('bounded-label: the first max values keep their name for good, later ones fold into "other"', () => {
  const b = new BoundedLabel(3);
  assert.deepEqual(['a', 'b', 'c', 'd', 'a', 'e', 'c'].map((v) => b.bound(v)), ['a', 'b', 'c', OVERFLOW_VALUE, 'a', OVERFLOW_VALUE, 'c']);
  assert.equal(b.admitted, 3);
  assert.equal(b.bound(''), '', 'empty is never folded and takes no slot');
});

test('bounded-label: pinned names keep their name past the cap and take no slot', () => {
  const b = new BoundedLabel(2);
  b.pin('configured');
  assert.equal(b.bound('x'), 'x');
  assert.equal(b.bound('configured'), 'configured');
  assert.equal(b.bound('y'), 'y');
  assert.equal(b.bound('z'), OVERFLOW_VALUE);
  assert.equal(b.pin('z'), true);
  assert.equal(b.bound('z'), 'z', 'a name pinned after folding gets its own series from then on');
  assert.equal(b.pin('z'), false, 'pinning twice reports no change');
});

test('bounded-label: a value longer than the length bound folds unless pinned; the default cap is 100', () => {
  const b = new BoundedLabel();
  assert.equal(b.max, MAX_LABEL_VALUES);
  assert.equal(MAX_LABEL_VALUES, 100);
  const long = 'x'.repeat(MAX_LABEL_LENGTH + 1);
  assert.equal(b.bound('x'.repeat(MAX_LABEL_LENGTH)), 'x'.repeat(MAX_LABEL_LENGTH));
  assert.equal(b.bound(long), OVERFLOW_VALUE);
  assert.equal(b.admitted, 1, 'a folded value takes no slot');
  b.pin(long);
  assert.equal(b.bound(long), long, 'a configured name keeps its name whatever its length');
});
