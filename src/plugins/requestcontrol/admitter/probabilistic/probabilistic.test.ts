/** probabilistic-admitter: upstream pkg/epp/framework/plugins/requestcontrol/admitter/probabilisticadmitter/plugin.go. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEndpoint, makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createProbabilisticAdmitter, ProbabilisticAdmitter, readProbabilisticAdmitterConfig } from './probabilistic.ts';

const cfg = readProbabilisticAdmitterConfig('p', undefined);
const sheddable = () => {
  const r = makeRequest();
  r.priority = -1;
  return r;
};

test('probabilistic-admitter: defaults as upstream', () => {
  assert.deepEqual(cfg, { queueDepthThreshold: 5, kvCacheUtilThreshold: 0.8, power: 5, k: 300 });
});

test('probabilistic-admitter: saturation = mean of max(queue/qd, kv/kvt); unscraped counts 1', () => {
  const a = new ProbabilisticAdmitter('p', cfg);
  const eps = [makeEndpoint(0, { waitingQueue: 5, kvCacheUsage: 0.4 }), makeEndpoint(1, { waitingQueue: 0, kvCacheUsage: 0.4 }), makeEndpoint(2, { metricsUpdatedAt: -1 })];
  assert.ok(Math.abs(a.saturation(eps) - (1 + 0.5 + 1) / 3) < 1e-12);
});

test('probabilistic-admitter: rejects with probability min(sat^power * k, 1)', () => {
  const eps = [makeEndpoint(0, { waitingQueue: 1 })]; // saturation 0.2 -> 0.2^5*300 = 0.096
  assert.equal(new ProbabilisticAdmitter('p', cfg, () => 0.095).admit(sheddable(), eps)?.startsWith('probabilistic-admitter: rejected, saturation=0.200 prob=0.10'), true);
  assert.equal(new ProbabilisticAdmitter('p', cfg, () => 0.097).admit(sheddable(), eps), null);
  const idle = [makeEndpoint(0)];
  assert.equal(new ProbabilisticAdmitter('p', cfg, () => 0).admit(sheddable(), idle), null); // prob 0
});

test('probabilistic-admitter: never sheds priority >= 0 or with no candidates', () => {
  const eps = [makeEndpoint(0, { waitingQueue: 50 })];
  assert.equal(new ProbabilisticAdmitter('p', cfg, () => 0).admit(makeRequest(), eps), null);
  assert.equal(new ProbabilisticAdmitter('p', cfg, () => 0).admit(sheddable(), []), null);
});

test('probabilistic-admitter: parameter validation names the field', () => {
  for (const [k, v] of [['queueDepthThreshold', 0], ['queueDepthThreshold', 1.5], ['kvCacheUtilThreshold', -1], ['power', 0], ['k', 0]] as const) {
    assert.throws(() => createProbabilisticAdmitter('p', { [k]: v }, testHandle()), new RegExp(`plugin "p": parameters\\.${k}: ${k} must be > 0`));
  }
});
