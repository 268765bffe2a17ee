/**
 * Runs one open-loop stage against an HTTP endpoint (the gateway): requests leave on the precomputed
 * arrival schedule whether or not earlier ones finished, and each is timed by the client. In model time,
 * `qps` and all latencies are what the simulated fleet experiences; on the wall clock everything is
 * `timeScale` times slower.
 */
import { Agent } from 'undici';
import { RunCollector } from './results.ts';
import { arrivalOffsets, stageCount } from './arrivals.ts';
import { sendTimed } from './client.ts';
import { Progress } from './progress.ts';
import { requestSpec } from './request-body.ts';
import { Rng } from '../../sim/rng.ts';
import type { Workload } from './workload.ts';

export interface LiveStageOptions {
  /** e.g. http://127.0.0.1:8081 */
  origin: string;
  workload: Workload;
  baseModel: string;
  qps: number;
  durationS: number;
  maxRequests: number;
  burstiness: number;
  seed: number;
  /** Index of the first workload item (items before it were sent by an earlier phase). */
  itemOffset: number;
  timeScale: number;
  /** Model-time seconds after the last send before unfinished requests are aborted (counted as errors). */
  drainTimeoutS: number;
  label: string;
}

export interface LiveStageStats {
  collector: RunCollector;
  /** Median lateness of sends against the schedule, wall ms (load generator health). */
  scheduleDelayP50Ms: number;
}

export async function runLiveStage(o: LiveStageOptions): Promise<LiveStageStats> {
  const count = stageCount(o.qps, o.durationS, o.maxRequests);
  const offsets = arrivalOffsets(new Rng(o.seed), count, o.qps, o.burstiness);
  const collector = new RunCollector();
  const agent = new Agent({ connections: 256, pipelining: 0, keepAliveTimeout: 30_000 });
  const abort = new AbortController();
  const progress = new Progress(o.label, count);
  const delays: number[] = [];
  const inflight = new Set<Promise<void>>();
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  try {
    for (let k = 0; k < count; k++) {
      const due = t0 + (offsets[k] as number) * o.timeScale;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const late = performance.now() - due;
      delays.push(late > 0 ? late : 0);
      const spec = requestSpec(o.workload.item(o.itemOffset + k), o.baseModel);
      const sentAt = (performance.now() - t0) / o.timeScale;
      const p = sendTimed(agent, o.origin, spec, sentAt, o.timeScale, `bench-${o.seed}-${k}`, abort.signal).then((r) => {
        collector.add(r.record);
        for (const g of r.itls) collector.itl.add(g);
        done++;
        if (r.record.status !== 'ok') failed++;
        progress.update(k + 1, done, failed);
        inflight.delete(p);
      });
      inflight.add(p);
      progress.update(k + 1, done, failed);
    }
    const deadline = sleep(o.drainTimeoutS * 1000 * o.timeScale, true);
    const all = Promise.all(inflight);
    const finished = await Promise.race([all.then(() => true), deadline.then(() => false)]);
    if (!finished) {
      abort.abort();
      await all;
    }
  } finally {
    progress.update(count, done, failed, true);
    progress.finish();
    await agent.close();
  }
  delays.sort((a, b) => a - b);
  return { collector, scheduleDelayP50Ms: delays[Math.floor(delays.length / 2)] ?? 0 };
}

/** `weak`: the timer does not keep the process alive (the drain deadline must not outlive the stage). */
function sleep(ms: number, weak = false): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (weak) t.unref();
  });
}
