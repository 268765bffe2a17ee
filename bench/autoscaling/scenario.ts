/**
 * Autoscaling scenario in virtual time: a fleet of simulated vLLM engines (bench/sim/engine.ts, llama2-7b-h100)
 * behind a least-loaded router, arrivals ramping linearly (Poisson), the picker's signals computed every scrape
 * from the same code the picker runs (utilization-detector saturation, autoscaling-gauges desiredReplicas).
 *
 * - `lead`: a fixed fleet. Signal time = first scrape where the desired-replica hint exceeds the fleet;
 *   knee time = first 5 s window whose p90 TTFT exceeds 4x the low-load p90. Lead = knee - signal.
 * - `autoscaled`: a simulated HPA (maxReplicas 16) polls every 15 s and scales up to the hint (or, for comparison, up by one when
 *   p90 TTFT passes the knee threshold); a new replica serves after a 60 s start-up (model load).
 */
import { Engine, SimRequest, type EngineListener } from '../sim/engine.ts';
import { LLAMA2_7B_H100 } from '../sim/profile.ts';
import { Endpoint } from '../../src/framework/endpoint.ts';
import { UtilizationDetector } from '../../src/plugins/flowcontrol/saturation-detector/utilization/utilization-detector.ts';
import { desiredReplicas, DEFAULT_AUTOSCALING_TARGETS, type AutoscalingTargets } from '../../src/observability/autoscaling-gauges.ts';

export interface ScenarioOptions {
  startReplicas: number;
  /** Arrival rate ramps linearly from `fromRps` to `toRps` over `seconds`. */
  fromRps: number;
  toRps: number;
  seconds: number;
  promptTokens: number;
  outputTokens: number;
  scaler: 'none' | 'hint' | 'latency';
  seed: number;
  /** The hint's targets (the picker's --autoscaling-target-* flags); default theirs. */
  targets?: AutoscalingTargets;
  /** Stop this long after the knee (the fixed fleet past its knee only queues). */
  stopAfterKneeMs?: number;
}

export interface Sample {
  t: number;
  rps: number;
  replicas: number;
  desired: number;
  avgQueue: number;
  saturation: number;
  ttftP90: number;
}

export interface ScenarioResult {
  samples: Sample[];
  baselineP90: number;
  signalAt: number | null;
  kneeAt: number | null;
  /** p90 TTFT over the whole run (ms) and the share of requests over the knee threshold. */
  p90: number;
  overKnee: number;
}

const SCRAPE_MS = 1000;
const WINDOW_MS = 5000;
const HPA_SYNC_MS = 15_000;
const STARTUP_MS = 60_000;
const KNEE_FACTOR = 4;
/** The HPA's maxReplicas. */
const MAX_REPLICAS = 16;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function p90(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]!;
}

export function runScenario(o: ScenarioOptions, kneeThresholdMs?: number): ScenarioResult {
  const random = rng(o.seed);
  const clock = { now: () => now };
  let now = 0;
  const detector = new UtilizationDetector('d', clock, { queueDepthThreshold: 5, kvCacheUtilThreshold: 0.8, metricsStalenessMs: 2000, headroom: 0 });
  const ttfts: { t: number; ms: number }[] = [];
  const listener: EngineListener = {
    onToken: (r, t) => {
      if (r.numOutput === 1) ttfts.push({ t, ms: t - r.arrivedAt });
    },
    onFinish: () => {},
  };
  const engines: Engine[] = [];
  const endpoints: Endpoint[] = [];
  const pendingStarts: number[] = [];
  const addReplica = () => {
    const e = new Engine({ ...LLAMA2_7B_H100 }, listener);
    e.histograms = false;
    engines.push(e);
    endpoints.push(new Endpoint(`10.0.0.${engines.length}`, 8000, `p${engines.length}`, 'default', 0, 'vllm'));
  };
  for (let i = 0; i < o.startReplicas; i++) addReplica();

  const end = o.seconds * 1000;
  const rateAt = (t: number) => o.fromRps + ((o.toRps - o.fromRps) * t) / end;
  let nextArrival = 0;
  let nextScrape = SCRAPE_MS;
  let nextSync = HPA_SYNC_MS;
  let seq = 0;
  let desired = o.startReplicas;
  const samples: Sample[] = [];
  let baselineP90 = 0;
  let signalAt: number | null = null;
  let kneeAt: number | null = null;
  /** First TTFT inside the current window (TTFTs are appended in time order). */
  let windowStart = 0;

  while (now < end && !(o.stopAfterKneeMs !== undefined && kneeAt !== null && now > kneeAt + o.stopAfterKneeMs)) {
    let t = Math.min(nextArrival, nextScrape, nextSync, ...pendingStarts);
    for (const e of engines) t = Math.min(t, e.nextEventTime());
    now = Math.min(t, end);
    for (const e of engines) e.advance(now);
    while (pendingStarts.length > 0 && pendingStarts[0]! <= now) {
      pendingStarts.shift();
      addReplica();
    }
    if (now >= nextArrival) {
      // Least loaded (waiting + running), as the queue and active-request scorers prefer.
      let best = engines[0]!;
      for (const e of engines) if (e.numWaiting + e.numRunning < best.numWaiting + best.numRunning) best = e;
      const r = new SimRequest(`r${++seq}`, o.promptTokens, o.outputTokens, []);
      best.add(r, now);
      nextArrival = now + (-Math.log(1 - random()) * 1000) / rateAt(now);
    }
    if (now >= nextScrape) {
      nextScrape += SCRAPE_MS;
      engines.forEach((e, i) => {
        const ep = endpoints[i]!;
        ep.waitingQueue = e.numWaiting;
        ep.runningRequests = e.numRunning;
        ep.kvCacheUsage = e.kvUsage();
        ep.metricsUpdatedAt = now;
      });
      const avgQueue = engines.reduce((n, e) => n + e.numWaiting, 0) / engines.length;
      const saturation = detector.saturation(endpoints);
      desired = desiredReplicas(engines.length, avgQueue, saturation, o.targets ?? DEFAULT_AUTOSCALING_TARGETS) ?? 1;
      while (windowStart < ttfts.length && ttfts[windowStart]!.t <= now - WINDOW_MS) windowStart++;
      const recent: number[] = [];
      for (let i = windowStart; i < ttfts.length; i++) recent.push(ttfts[i]!.ms);
      const ttftP90 = p90(recent);
      if (now <= 30_000) baselineP90 = p90(ttfts.map((x) => x.ms));
      const threshold = kneeThresholdMs ?? KNEE_FACTOR * baselineP90;
      if (now > 30_000) {
        if (signalAt === null && desired > engines.length) signalAt = now;
        if (kneeAt === null && ttftP90 > threshold) kneeAt = now;
      }
      samples.push({ t: now / 1000, rps: rateAt(now), replicas: engines.length, desired, avgQueue, saturation, ttftP90 });
    }
    if (now >= nextSync) {
      nextSync += HPA_SYNC_MS;
      const planned = engines.length + pendingStarts.length;
      const last = samples.at(-1);
      const threshold = kneeThresholdMs ?? KNEE_FACTOR * baselineP90;
      const want = Math.min(MAX_REPLICAS, desired);
      if (o.scaler === 'hint' && want > planned) for (let i = planned; i < want; i++) pendingStarts.push(now + STARTUP_MS);
      if (o.scaler === 'latency' && last && now > 30_000 && last.ttftP90 > threshold && planned < MAX_REPLICAS) pendingStarts.push(now + STARTUP_MS);
      pendingStarts.sort((a, b) => a - b);
    }
  }
  const threshold = kneeThresholdMs ?? KNEE_FACTOR * baselineP90;
  const all = ttfts.map((x) => x.ms);
  return { samples, baselineP90, signalAt, kneeAt, p90: p90(all), overKnee: all.filter((x) => x > threshold).length / Math.max(1, all.length) };
}
