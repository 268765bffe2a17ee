/**
 * Contract suite every request-control Screener test runs (framework/requestcontrol.ts): it only clears slots of
 * the shared keep mask, never sets one, never writes past the candidates, leaves the candidates alone, and
 * retains no heap over repeated calls. `prepare` feeds the screener what it observes (e.g. the pods) first.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import type { PluginHandle } from '../../../src/framework/plugin.ts';
import type { LLMRequest } from '../../../src/framework/request.ts';
import type { Screener } from '../../../src/framework/requestcontrol.ts';
import { makeRequest, retainedHeapGrowth, testHandle } from '../scheduling/testing.ts';

const HEAP_CALLS = 100_000;
const HEAP_BOUND_BYTES = 1_000_000;
const SENTINEL = 7;

export interface ScreenerContractOptions {
  /** The candidates the suite screens (at least 4). */
  readonly endpoints: () => Endpoint[];
  /** Called once per fresh screener with the candidates, before any screen call. */
  readonly prepare?: (screener: Screener, endpoints: readonly Endpoint[]) => void;
  readonly request?: () => LLMRequest;
}

export function screenerContract(label: string, make: (handle: PluginHandle) => Screener, o: ScreenerContractOptions): void {
  const fresh = (): { s: Screener; eps: Endpoint[] } => {
    const s = make(testHandle());
    const eps = o.endpoints();
    o.prepare?.(s, eps);
    return { s, eps };
  };
  const request = o.request ?? (() => makeRequest());

  describe(`${label}: screener contract`, () => {
    test('declares a kebab-case type and a name', () => {
      const s = make(testHandle());
      assert.match(s.type, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(s.name.length > 0);
    });

    test('no candidates: writes nothing', () => {
      const { s } = fresh();
      const keep = new Uint8Array([SENTINEL]);
      s.screen(request(), [], keep);
      assert.equal(keep[0], SENTINEL);
    });

    test('only clears slots: a 0 stays 0, a 1 becomes 0 or stays, nothing past the candidates', () => {
      const { s, eps } = fresh();
      assert.ok(eps.length >= 4);
      for (let round = 0; round < 20; round++) {
        const keep = new Uint8Array(eps.length + 1).fill(1);
        keep[0] = 0;
        keep[eps.length] = SENTINEL;
        s.screen(request(), Object.freeze([...eps]), keep);
        assert.equal(keep[0], 0, 'set a slot another screener cleared');
        for (let i = 1; i < eps.length; i++) assert.ok(keep[i] === 0 || keep[i] === 1, `keep[${i}] = ${keep[i]}`);
        assert.equal(keep[eps.length], SENTINEL, 'wrote past the candidates');
      }
    });

    test('no retained heap growth over repeated calls', (t) => {
      const { s, eps } = fresh();
      const keep = new Uint8Array(eps.length);
      const req = request();
      const growth = retainedHeapGrowth(() => {
        keep.fill(1);
        s.screen(req, eps, keep);
      }, HEAP_CALLS);
      if (growth === undefined) return t.skip('cannot force GC in this runtime; heap growth not measured');
      assert.ok(growth < HEAP_BOUND_BYTES, `retained heap grew ${growth} bytes over ${HEAP_CALLS} calls`);
    });
  });
}
