import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoint } from '../framework/endpoint.ts';
import { answeringCandidates } from './candidates.ts';

const eps = [0, 1, 2].map((i) => new Endpoint(`10.0.0.${i + 1}`, 8000, `p${i}`, 'ns', 0, 'vllm'));

test('answeringCandidates: endpoints whose last scrape failed or whose scrape is overdue are left out, in a reused array', () => {
  const out: Endpoint[] = [];
  assert.equal(answeringCandidates(eps, 100, out), eps, 'all answer: the input itself, no copy');
  eps[0]!.consecutiveScrapeFailures = 1;
  eps[2]!.scrapeStallAt = 99;
  const got = answeringCandidates(eps, 100, out);
  assert.equal(got, out);
  assert.deepEqual(got, [eps[1]]);
  assert.deepEqual(answeringCandidates(eps, 98, out), [eps[1], eps[2]], 'a scrape in flight before its deadline answers');
  eps[0]!.consecutiveScrapeFailures = 0;
  eps[2]!.scrapeStallAt = Infinity;
});

test('answeringCandidates: when none answers, it fails open to those with the fewest requests in flight', () => {
  for (const ep of eps) ep.consecutiveScrapeFailures = 3;
  assert.equal(answeringCandidates(eps, 0, []), eps, 'all equal: all of them, no copy');
  eps[0]!.inflightRequests = 4; // a hung server: its requests never finish
  eps[2]!.inflightRequests = 1;
  assert.deepEqual(answeringCandidates(eps, 0, []), [eps[1]]);
  for (const ep of eps) {
    ep.consecutiveScrapeFailures = 0;
    ep.inflightRequests = 0;
  }
});
