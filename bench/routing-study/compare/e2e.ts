/**
 * End-to-end mode: real processes on loopback. Per (policy, QPS) run it starts a fresh simulated fleet
 * (one process, one server per 127.0.0.x), the picker (`node src/main.ts --resources ...`, plaintext gRPC)
 * for picker policies, the gateway in this process, and drives the gateway with the open-loop load
 * generator. Everything runs `timeScale` times slower than model time; the picker's scrape interval and
 * staleness threshold are scaled too, so it sees metrics exactly as stale, in model time, as in the fast
 * simulation. Fresh processes per run keep runs independent (empty KV caches and prefix indexes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, type GatewayPolicy } from '../../dev-stack/gateway/gateway.ts';
import { runLiveStage } from '../loadgen/runner.ts';
import type { EngineConfig } from '../../sim/profile.ts';
import type { StageSpec } from './fast-sim.ts';
import type { PolicySpec } from './policies.ts';
import { peerBodyRouter } from './peers/body-router.ts';
import type { KvOracle } from './peers/peer.ts';
import { Rng } from '../../sim/rng.ts';
import { freePort, freePortPair, spawnNode, stopChild, waitForLines, type Child } from '../../dev-stack/procs.ts';
import type { RunResult, Slo } from '../loadgen/results.ts';

export interface E2eFleet {
  replicas: number;
  profileName: string;
  engine: EngineConfig;
  loraModules: readonly string[];
  timeScale: number;
  /** Model-time scrape interval and staleness threshold (wall = x timeScale). */
  scrapeIntervalMs: number;
  metricsStalenessMs: number;
  drainTimeoutS: number;
  /** Picker processes behind the gateway (default 1); `pickerSync`: with --replica-sync between them. */
  pickers?: number;
  pickerSync?: boolean;
}

export function simHost(i: number): string {
  return `127.0.0.${i + 2}`;
}

export function resourcesYaml(replicas: number, port: number): string {
  const docs = [
    `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: bench-pool
spec:
  selector:
    matchLabels:
      app: bench-sim
  targetPorts:
    - number: ${port}`,
  ];
  for (let i = 0; i < replicas; i++) {
    docs.push(`apiVersion: v1
kind: Pod
metadata:
  name: sim-${i}
  labels:
    app: bench-sim
status:
  podIP: ${simHost(i)}
  conditions:
    - type: Ready
      status: "True"`);
  }
  return docs.join('\n---\n') + '\n';
}

export function simArgs(f: E2eFleet, port: number): string[] {
  const e = f.engine;
  const args = [
    '--hosts', Array.from({ length: f.replicas }, (_, i) => simHost(i)).join(','),
    '--port', String(port),
    '--time-scale', String(f.timeScale),
    '--profile', f.profileName,
    '--model', e.modelName,
    '--max-num-seqs', String(e.maxNumSeqs),
    '--max-num-batched-tokens', String(e.maxNumBatchedTokens),
    '--num-gpu-blocks', String(e.numGpuBlocks),
    '--max-model-len', String(e.maxModelLen),
    '--max-waiting', String(e.maxWaiting),
  ];
  if (f.loraModules.length > 0) args.push('--lora-modules', f.loraModules.join(','), '--max-loras', String(Math.max(1, e.maxLoras)));
  return args;
}

export async function runE2eStage(fleet: E2eFleet, policy: PolicySpec, stage: StageSpec, slo: Slo, label: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'epp-bench-'));
  const children: Child[] = [];
  let gateway: Gateway | null = null;
  try {
    const simPort = await freePort();
    const sim = spawnNode('epp-sim', 'bench/sim/cli.ts', simArgs(fleet, simPort));
    children.push(sim);
    await waitForLines(sim, /epp-sim listening/, fleet.replicas, 20_000);
    const endpoints = Array.from({ length: fleet.replicas }, (_, i) => `${simHost(i)}:${simPort}`);

    let gwPolicy: GatewayPolicy;
    if (policy.kind === 'picker') {
      writeFileSync(join(dir, 'resources.yaml'), resourcesYaml(fleet.replicas, simPort));
      writeFileSync(join(dir, 'config.yaml'), policy.configYaml);
      const count = fleet.pickers ?? 1;
      const syncPorts: number[] = [];
      const taken = new Set<number>();
      /** A free port no other process of this stage was given (the OS may hand one out twice while none binds it). */
      const port = async (pair: boolean): Promise<number> => {
        for (;;) {
          const p = pair ? await freePortPair() : await freePort();
          if (taken.has(p) || (pair && taken.has(p + 1))) continue;
          taken.add(p);
          if (pair) taken.add(p + 1);
          return p;
        }
      };
      if (fleet.pickerSync === true) for (let i = 0; i < count; i++) syncPorts.push(await port(true));
      const targets: string[] = [];
      const started: Promise<string[]>[] = [];
      for (let i = 0; i < count; i++) {
        const [grpcPort, healthPort, metricsPort] = [await port(false), await port(false), await port(false)];
        const sync =
          syncPorts.length === 0
            ? []
            : ['--replica-sync', '--replica-sync-port', String(syncPorts[i]), '--replica-peers', syncPorts.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p}`).join(','), '--replica-sync-interval', '5ms'];
        const picker = spawnNode('epp', 'src/main.ts', [
          '--resources', join(dir, 'resources.yaml'),
          '--config-file', join(dir, 'config.yaml'),
          '--grpc-port', String(grpcPort),
          '--grpc-health-port', String(healthPort),
          '--metrics-port', String(metricsPort),
          '--bind-address', '127.0.0.1',
          '--secure-serving=false',
          '--refresh-metrics-interval', `${Math.round(fleet.scrapeIntervalMs * fleet.timeScale)}ms`,
          '--metrics-staleness-threshold', `${Math.round(fleet.metricsStalenessMs * fleet.timeScale)}ms`,
          ...sync,
        ]);
        children.push(picker);
        // Waited for from the spawn: a line printed before waitForLines is called is not seen.
        started.push(waitForLines(picker, /endpoint picker started/, 1, 20_000 * count));
        targets.push(`127.0.0.1:${grpcPort}`);
      }
      await Promise.all(started);
      // Let every endpoint be scraped a few times before traffic starts.
      await new Promise((r) => setTimeout(r, Math.max(200, 4 * fleet.scrapeIntervalMs * fleet.timeScale)));
      gwPolicy = { kind: 'extproc', target: targets.join(','), failureModeAllow: false };
    } else if (policy.kind === 'baseline') {
      gwPolicy = { kind: 'baseline', name: policy.baseline };
    } else {
      // A peer's algorithm runs in the gateway (the simulated engines are in another process: no KV oracle).
      if (policy.engineKv) throw new Error(`policy ${policy.name} reads engine KV state: fast mode only`);
      const rng = new Rng(stage.seed ^ 0xba1a);
      const noKv: KvOracle = { resident: () => 0 };
      gwPolicy = { kind: 'router', router: peerBodyRouter(policy.make(() => rng.next(), noKv), fleet.timeScale) };
    }
    gateway = new Gateway({ policy: gwPolicy, endpoints, seed: stage.seed });
    const addr = await gateway.listen(0, '127.0.0.1');
    const common = {
      origin: `http://127.0.0.1:${addr.port}`,
      workload: stage.workload,
      baseModel: fleet.engine.modelName,
      burstiness: stage.burstiness,
      timeScale: fleet.timeScale,
      drainTimeoutS: fleet.drainTimeoutS,
    };
    if (stage.warmupRequests > 0) {
      // Same semantics as the fast simulation: warm-up on items 0..n-1, wait for it to drain, then measure.
      await runLiveStage({
        ...common,
        qps: stage.warmupQps,
        durationS: stage.warmupRequests / stage.warmupQps,
        maxRequests: stage.warmupRequests,
        seed: stage.seed ^ 0x3a3a,
        itemOffset: 0,
        label: `${label} warm-up`,
      });
    }
    const live = await runLiveStage({
      ...common,
      qps: stage.qps,
      durationS: stage.durationS,
      maxRequests: stage.maxRequests,
      seed: stage.seed,
      itemOffset: stage.warmupRequests,
      label,
    });
    live.collector.preemptions = await fleetPreemptions(endpoints);
    return live.collector.result(policy.name, stage.qps, slo);
  } finally {
    await gateway?.close();
    await Promise.all(children.reverse().map((c) => stopChild(c)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sum of vllm:num_preemptions_total over the fleet. */
async function fleetPreemptions(endpoints: readonly string[]): Promise<number> {
  let total = 0;
  for (const ep of endpoints) {
    try {
      const text = await (await fetch(`http://${ep}/metrics`)).text();
      const m = /^vllm:num_preemptions_total\{[^}]*\} (\S+)$/m.exec(text);
      if (m) total += Number(m[1]);
    } catch {
      // a fleet that cannot report does not fail the run
    }
  }
  return total;
}
