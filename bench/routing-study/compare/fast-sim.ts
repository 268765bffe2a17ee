/**
 * Fast simulation: one discrete-event loop in virtual time drives `replicas` simulated engines, the load
 * generator's arrival schedule, and a routing policy. Picker policies run the production scheduler,
 * plugins, saturation detector and director; their endpoint metrics come from the simulated servers'
 * /metrics text parsed by the production extractor, refreshed every scrape interval per endpoint (phases
 * staggered), so the picker decides on metrics up to one interval old, as in a real deployment.
 */
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import { extractorFor } from '../../../src/datalayer/engines.ts';
import { MetricsWriter, ScrapedMetrics } from '../../../src/datalayer/scraped-metrics.ts';
import { RequestContext } from '../../../src/requestcontrol/request-context.ts';
import { arrivalOffsets, stageCount } from '../loadgen/arrivals.ts';
import { requestSpec } from '../loadgen/request-body.ts';
import { Rng } from '../../sim/rng.ts';
import type { Workload } from '../loadgen/workload.ts';
import type { TraceWorkload } from '../loadgen/trace.ts';
import { toSimRequest } from '../../sim/admit.ts';
import { Engine, type EngineListener, type SimRequest } from '../../sim/engine.ts';
import { renderMetrics, type MetricsContext } from '../../sim/metrics-text.ts';
import { parseRequest } from '../../sim/openai.ts';
import type { EngineConfig } from '../../sim/profile.ts';
import { baseline } from '../../dev-stack/gateway/baselines.ts';
import { createPickerHarness, VirtualClock, type PickerHarness } from './picker-harness.ts';
import { attachPreciseEvents } from './precise-events.ts';
import { promptTokenIds } from '../../sim/prompt-tokens.ts';
import type { PolicySpec } from './policies.ts';
import type { KvOracle, PeerRequest } from './peers/peer.ts';
import { PREFILL_ENDPOINT_HEADER as PREFILL_HEADER } from '../../../src/plugins/scheduling/profile-handler/disagg/disagg.ts';
import { RunCollector, type RequestRecord, type RunResult, type Slo } from '../loadgen/results.ts';
import { HEADER_OBJECTIVE } from '../../../src/requestcontrol/headers.ts';
import { ownsSyncedState } from '../../../src/framework/synced-state.ts';
import { ReplicaSync } from '../../../src/datastore/replica-sync/replica-sync.ts';
import { MemoryBus } from '../../../test/support/memory-bus.ts';

export interface FleetSetup {
  replicas: number;
  engine: EngineConfig;
  /** Heterogeneous fleet: replica i runs engines[i % length] instead of `engine`. */
  engines?: readonly EngineConfig[];
  /** LoRA adapters every replica serves. */
  loraModules: readonly string[];
  /** Picker metric refresh interval (upstream default 50 ms). */
  scrapeIntervalMs: number;
  /** --metrics-staleness-threshold of the picker (default 2 s). */
  metricsStalenessMs: number;
  /** One-way client->server latency through proxy and picker, added to each request. */
  networkMs: number;
  /** How long after the last send to wait for stragglers; unfinished requests count as errors. */
  drainTimeoutS: number;
  /**
   * P/D disaggregation: replica i's `llm-d.ai/role` label (roles[i % length]; '' = none). A request the picker
   * sends with x-prefiller-host-port runs its prompt on that prefill replica first (max_tokens 1, as the
   * routing sidecar's NIXL v2 leg), then its KV moves to the decode replica (kvTransfer), which decodes.
   */
  roles?: readonly string[];
  kvTransfer?: KvTransfer;
}

/** KV cache transfer between a prefill and a decode replica (NIXL over an RDMA-class link). */
export interface KvTransfer {
  /** K and V of one token, all layers (Llama-3-8B bf16: 2·32·8·128·2 B = 128 KiB). */
  bytesPerToken: number;
  /** Achieved bandwidth, GB/s. */
  gbps: number;
  /** Fixed cost per transfer (handshake, notification), ms. */
  baseMs: number;
}

/** The prefill leg of a disaggregated request; its SimRequest's tag. */
class PrefillLeg {
  readonly decodeEngine: Engine;
  readonly decode: SimRequest;
  constructor(decodeEngine: Engine, decode: SimRequest) {
    this.decodeEngine = decodeEngine;
    this.decode = decode;
  }
}

export interface StageSpec {
  workload: Workload;
  qps: number;
  durationS: number;
  maxRequests: number;
  burstiness: number;
  seed: number;
  /**
   * Unmeasured requests sent first (items 0..n-1) at `warmupQps`; the measured stage starts when they have
   * all finished and uses the items after them (GIE's prefix benchmarks warm caches the same way).
   */
  warmupRequests: number;
  warmupQps: number;
}

/** Several picker replicas in front of the fleet (Envoy spreads requests over them at random). */
export interface PickerReplicas {
  count: number;
  /** Share learned state through the replica sync (the production delta code over an in-process bus). */
  sync: boolean;
  /** --replica-sync-interval in virtual ms: batches go out and arrive on this period. */
  syncIntervalMs: number;
}

/** Filled by runFastStage with what the replica sync sent (non-empty batches). */
export interface SyncTraffic {
  messages: number;
  bytes: number;
}

interface Flight {
  rec: RequestRecord;
  /** Which picker replica routed it. */
  picker: number;
  measured: boolean;
  engine: number;
  /** The picker's request state (null for baselines). */
  ctx: RequestContext | null;
  prevTokenAt: number;
  /** What a peer router saw (null otherwise). */
  peerReq: PeerRequest | null;
}

export function runFastStage(fleet: FleetSetup, policy: PolicySpec, stage: StageSpec, slo: Slo, pickers?: PickerReplicas, traffic?: SyncTraffic): RunResult {
  const n = fleet.replicas;
  const clock = new VirtualClock();
  const collector = new RunCollector();
  const net = fleet.networkMs;
  const harnesses: PickerHarness[] = [];
  if (policy.kind === 'picker') {
    for (let h = 0; h < (pickers?.count ?? 1); h++) harnesses.push(createPickerHarness(policy.configYaml, n, clock, fleet.metricsStalenessMs, stage.seed + h, fleet.roles, stage.workload.classes));
  }
  const harness: PickerHarness | null = harnesses[0] ?? null;
  const pickerRng = new Rng(stage.seed ^ 0x9e37);
  const bus = pickers?.sync && harnesses.length > 1 ? new MemoryBus() : null;
  const syncs: ReplicaSync[] = [];
  if (bus) {
    harnesses.forEach((h, i) => {
      const sync = new ReplicaSync({ id: `picker-${i}`, transport: bus.transport(`picker-${i}`), clock, heartbeatMs: Infinity, peerTtlMs: Infinity });
      for (const p of h.plugins) {
        const state = ownsSyncedState(p) ? p.syncedState() : null;
        if (state) sync.register(state);
      }
      syncs.push(sync);
    });
  }
  const syncEvery = pickers?.syncIntervalMs ?? Infinity;
  let nextSync = bus ? syncEvery : Infinity;
  const balancerRng = new Rng(stage.seed ^ 0xba1a);
  const balancer = policy.kind === 'baseline' ? baseline(policy.baseline, () => balancerRng.next()) : null;
  // Routers fed by engine KV events read the simulated engines' block caches (set up below).
  const kvOracle: KvOracle = { resident: (w, hashes) => (engines[w] as Engine).kv.match(hashes, hashes.length) };
  const peer = policy.kind === 'peer' ? policy.make(() => balancerRng.next(), kvOracle) : null;
  const loraSet = new Set(fleet.loraModules);
  const engineConfig: EngineConfig = { ...fleet.engine, maxLoras: loraSet.size > 0 ? Math.max(1, fleet.engine.maxLoras) : 0 };

  let open = 0;
  const listener = (i: number): EngineListener => ({
    onToken(r: SimRequest, t: number): void {
      if (r.tag instanceof PrefillLeg) return; // the sidecar drops the prefill leg's token
      const f = r.tag as Flight;
      if (r.numOutput === 1) {
        f.rec.ttftMs = t + net - start - f.rec.sentAt;
        // What the director would learn from a streamed response's first chunk (read by latency predictors).
        if (f.ctx && f.ctx.response.ttftMs < 0) {
          f.ctx.response.status = 200;
          f.ctx.response.streaming = true;
          f.ctx.response.ttftMs = t + net - f.ctx.receivedAt;
        }
        if (peer && f.peerReq) peer.firstToken(i, f.peerReq);
      }
      else if (f.measured) collector.itl.add(t - f.prevTokenAt);
      f.prevTokenAt = t;
    },
    onFinish(r: SimRequest, t: number): void {
      if (r.tag instanceof PrefillLeg) {
        const leg = r.tag;
        if (r.finishReason !== 'abort') {
          // The KV lands on the decode replica; it loads all but the last prompt token (vLLM NIXL connector).
          const x = fleet.kvTransfer as KvTransfer;
          leg.decode.remoteTokens = leg.decode.promptTokens - 1;
          if (leg.decodeEngine.add(leg.decode, t + x.baseMs + (leg.decode.promptTokens * x.bytesPerToken) / (x.gbps * 1e6)) === 'ok') return;
        }
        r = leg.decode; // failed: finish the request as the decode leg would
        r.finishReason = 'abort';
      }
      const f = r.tag as Flight;
      open--;
      if (r.finishReason !== 'abort') {
        f.rec.status = 'ok';
        f.rec.e2eMs = t + net - start - f.rec.sentAt;
        f.rec.outputTokens = r.numOutput;
        f.rec.cachedTokens = Math.max(0, r.cachedTokens);
      }
      if (f.ctx && r.finishReason !== 'abort') f.ctx.response.completionTokens = r.numOutput; // the usage chunk
      if (f.ctx) harnesses[f.picker]!.director.handleResponseComplete(f.ctx, r.finishReason === 'abort' ? 'client-disconnect' : 'natural');
      if (balancer) balancer.release(i);
      if (peer && f.peerReq) peer.finish(i, f.peerReq);
    },
  });
  const engines: Engine[] = [];
  const metrics: MetricsContext[] = [];
  for (let i = 0; i < n; i++) {
    const own = fleet.engines?.length ? (fleet.engines[i % fleet.engines.length] as EngineConfig) : fleet.engine;
    const e = new Engine({ ...own, maxLoras: engineConfig.maxLoras > 0 ? Math.max(1, own.maxLoras) : 0 }, listener(i));
    e.histograms = false;
    engines.push(e);
    metrics.push({ engine: e, loraSeries: new Map(), loraEnabled: loraSet.size > 0, nowSeconds: () => 1.7e9 + clock.t / 1000, pickerOnly: true });
  }

  // A precise prefix policy: the engines publish their cache changes to its index (token blocks, not characters).
  const kvEvents = harness !== null && attachPreciseEvents(harness.dataProducers, engines, harness.endpoints, fleet.engine.modelName);

  // Scrapes: endpoint i first at i/n of an interval, then every interval (independent collector loops).
  const extractor = extractorFor('vllm');
  const scraped = new ScrapedMetrics();
  // Every picker replica scrapes every server (one writer per replica and server).
  const writers = harnesses.map(() => engines.map(() => new MetricsWriter()));
  const nextScrape = new Float64Array(n);
  const scrape = (i: number, t: number): void => {
    if (!harness) return;
    const page = renderMetrics(metrics[i] as MetricsContext);
    if (extractor.extract(page, scraped) !== undefined) return;
    harnesses.forEach((h, k) => writers[k]![i]!.write(h.endpoints[i] as Endpoint, scraped, t));
  };
  for (let i = 0; i < n; i++) {
    scrape(i, 0);
    nextScrape[i] = harness ? ((i + 1) / n) * fleet.scrapeIntervalMs : Infinity;
  }

  const warm = stage.warmupRequests;
  const warmOffsets = arrivalOffsets(new Rng(stage.seed ^ 0x3a3a), warm, stage.warmupQps || 1, stage.burstiness);
  // A trace brings its own arrivals (rescaled to the stage's mean rate); otherwise Poisson/gamma.
  const trace = stage.workload as Partial<TraceWorkload>;
  let offsets = trace.arrivals
    ? trace.arrivals.call(stage.workload, stage.qps, stage.durationS)
    : arrivalOffsets(new Rng(stage.seed), stageCount(stage.qps, stage.durationS, stage.maxRequests), stage.qps, stage.burstiness);
  if (stage.maxRequests > 0 && offsets.length > stage.maxRequests) offsets = offsets.subarray(0, stage.maxRequests);
  const count = offsets.length;
  // Measured arrivals are offsets from `start`, known once the warm-up has drained.
  let start = warm > 0 ? Infinity : 0;
  let deadline = warm > 0 ? (warmOffsets[warm - 1] as number) + fleet.drainTimeoutS * 1000 : (offsets[count - 1] ?? 0) + fleet.drainTimeoutS * 1000;
  const total = warm + count;
  const baseModel = fleet.engine.modelName;
  let sent = 0;

  const send = (k: number, t: number): void => {
    const item = stage.workload.item(k);
    const spec = requestSpec(item, baseModel);
    const rec: RequestRecord = { sentAt: t - start, status: 'error', ttftMs: 0, e2eMs: 0, outputTokens: 0, promptTokens: 0, cachedTokens: 0, endpoint: '', code: 0 };
    if (item.objective) rec.objective = item.objective;
    if (k >= warm) collector.add(rec);
    let target: number;
    let ctx: RequestContext | null = null;
    let peerReq: PeerRequest | null = null;
    let prefillTarget = -1;
    const picker = harnesses.length > 1 ? Math.floor(pickerRng.next() * harnesses.length) : 0;
    if (harness) {
      const harness = harnesses[picker]!;
      ctx = new RequestContext();
      ctx.request.headers.set(':path', spec.path);
      ctx.request.headers.set('x-request-id', String(k));
      if (item.objective) ctx.request.headers.set(HEADER_OBJECTIVE, item.objective);
      harness.director.handleRequestHeaders(ctx);
      const bytes = Buffer.from(spec.body);
      const decision = harness.director.handleRequest(ctx, { chunks: [bytes], bytes: bytes.length });
      if (!decision.ok) {
        rec.code = decision.status;
        if (decision.error.code === 'SHED') rec.status = 'shed';
        return;
      }
      target = harness.endpoints.indexOf(decision.endpoints[0] as Endpoint);
      const prefill = decision.headers.find((h) => h.name === PREFILL_HEADER);
      if (prefill !== undefined) prefillTarget = harness.endpoints.findIndex((e) => e.key === prefill.value);
    } else if (peer) {
      const text = item.system ? `${item.system} ${item.prompt}` : item.prompt;
      peerReq = { text, tokens: Math.ceil(text.length / 4) };
      const pp = parseRequest(spec.path === '/v1/completions' ? 'completion' : 'chat', spec.body);
      peerReq.blockHashes = toSimRequest(pp, (engines[0] as Engine).config, loraSet.has(pp.model) ? pp.model : '', '').hashes;
      target = peer.pick(peerReq, n, t);
    } else {
      target = (balancer as NonNullable<typeof balancer>).pick(n);
    }
    const engine = engines[target] as Engine;
    const parsed = parseRequest(spec.path === '/v1/completions' ? 'completion' : 'chat', spec.body);
    const sim = toSimRequest(parsed, engine.config, loraSet.has(parsed.model) ? parsed.model : '', String(k), kvEvents ? promptTokenIds(parsed, null) : null);
    rec.promptTokens = sim.promptTokens;
    rec.endpoint = `replica-${target}`;
    const f: Flight = { rec, picker, measured: k >= warm, engine: target, ctx, prevTokenAt: 0, peerReq };
    sim.tag = f;
    let added: ReturnType<Engine['add']>;
    if (prefillTarget >= 0 && fleet.kvTransfer) {
      collector.disaggregated++;
      const pEngine = engines[prefillTarget] as Engine;
      const leg = toSimRequest({ ...parsed, maxTokens: 1, ignoreEos: true }, pEngine.config, sim.lora, `${k}-prefill`);
      leg.tag = new PrefillLeg(engine, sim);
      pEngine.advance(t);
      added = pEngine.add(leg, t + net);
    } else {
      engine.advance(t);
      added = engine.add(sim, t + net);
    }
    if (added !== 'ok') {
      rec.code = added === 'queue-full' ? 429 : 400;
      if (ctx) harnesses[picker]!.director.handleResponseComplete(ctx, 'error');
      if (balancer) balancer.release(target);
      if (peer && peerReq) peer.finish(target, peerReq);
      return;
    }
    open++;
  };

  // Event loop: engine events, then scrapes, then arrivals at equal times.
  const maxEvents = 200_000_000;
  for (let ev = 0; ev < maxEvents; ev++) {
    let tE = Infinity;
    let iE = -1;
    for (let i = 0; i < n; i++) {
      const te = (engines[i] as Engine).nextEventTime();
      if (te < tE) {
        tE = te;
        iE = i;
      }
    }
    let tS = Infinity;
    let iS = -1;
    if (sent < total || open > 0) {
      for (let i = 0; i < n; i++) {
        if ((nextScrape[i] as number) < tS) {
          tS = nextScrape[i] as number;
          iS = i;
        }
      }
    }
    if (sent === warm && start === Infinity && open === 0) {
      // Warm-up drained: the measured stage starts now.
      start = clock.t;
      deadline = start + (offsets[count - 1] ?? 0) + fleet.drainTimeoutS * 1000;
    }
    const tA = sent < warm ? (warmOffsets[sent] as number) : sent < total ? start + (offsets[sent - warm] as number) : Infinity;
    const tY = sent < total || open > 0 ? nextSync : Infinity;
    const t = Math.min(tE, tS, tA, tY);
    if (t === Infinity || t > deadline) break;
    clock.t = t;
    if (t === tE) (engines[iE] as Engine).advance(t);
    else if (t === tY) {
      for (const s of syncs) s.flush();
      bus!.deliver();
      nextSync = t + syncEvery;
    }
    else if (t === tS) {
      (engines[iS] as Engine).advance(t);
      scrape(iS, t);
      nextScrape[iS] = t + fleet.scrapeIntervalMs;
    } else {
      send(sent, t);
      sent++;
    }
  }
  // Stragglers past the drain deadline are timeouts.
  for (const e of engines) collector.preemptions += e.stats.preemptions;
  if (traffic && bus) {
    traffic.messages = bus.messages;
    traffic.bytes = bus.bytes;
  }
  return collector.result(policy.name, stage.qps, slo, stage.workload.classes);
}
