import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALIBRATION_POINTS } from './calibration.ts';
import { PROFILES } from '../../sim/profile.ts';

for (const p of CALIBRATION_POINTS.filter((c) => c.pinned)) {
  test(`calibration: ${p.profile}, ${p.what} within 10% of ${p.published.toFixed(1)} ${p.unit}`, () => {
    const m = p.measure();
    assert.ok(Math.abs(m / p.published - 1) <= 0.1, `${m.toFixed(2)} ${p.unit} against ${p.published.toFixed(2)} (${p.source})`);
  });
}

test('calibration: every profile costs KV reads, has a compute-bound regime and output processing', () => {
  for (const [name, c] of Object.entries(PROFILES)) {
    assert.ok(c.contextTokenMs > 0, name);
    assert.ok((c.computeTokenMs ?? 0) > 0, name);
    assert.ok((c.outputTokenMs ?? 0) > 0, name);
    assert.ok((c.loraStepFactor ?? 1) > 1, name);
  }
});
