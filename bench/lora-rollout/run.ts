/**
 * node bench/lora-rollout/run.ts: an adapter rollout v1 -> v2 in weight steps under constant load, against four
 * simulated vLLM servers on loopback (bench/sim: 2 adapter slots each, a 500 ms adapter load, on-demand loading
 * as vLLM's LoRA resolver does, so a request that lands where its adapter is absent pays a cold load).
 * A real picker runs in-process (startPicker, standalone resources file) and scrapes the servers; requests are
 * routed by a minimal router over the picker's datastore: the rewrite's weighted choice, then residency first
 * (the lora-affinity scorer's 1.0 tier, vllm:lora_adapter_loaded), then the shortest queue.
 * 10% of requests go to a third adapter ("other", resident everywhere at start), so the two slots are contended.
 * Two runs: with --adapter-syncer and residency routing, and without (adapters load on demand; routing sees only
 * lora_requests_info, i.e. adapters with requests in flight). Writes results.json, the per-step
 * table (stdout) and placement.svg (adapter placement per server over time, syncer run).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseFlags } from '../../src/cli/flags.ts';
import { startPicker } from '../../src/runner.ts';
import type { Endpoint } from '../../src/framework/endpoint.ts';
import { LLAMA3_8B_H100 } from '../sim/profile.ts';
import { SimServer } from '../sim/server.ts';

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const STEPS: [number, number][] = [[100, 0], [100, 1], [90, 10], [50, 50], [10, 90], [0, 100]];
const STEP_MS = 4000;
const RPS = 40;
const LOAD_MS = 500;

interface StepResult {
  step: string;
  requests: number;
  p50: number;
  p99: number;
  coldLoads: number;
  errors: number;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

const pods = (port: number) =>
  HOSTS.map(
    (ip, i) => `---
apiVersion: v1
kind: Pod
metadata: {name: vllm-${i}, namespace: default, labels: {app: vllm}}
status: {podIP: ${ip}, conditions: [{type: Ready, status: "True"}]}
`,
  ).join('');
const resources = (port: number, [w1, w2]: [number, number]) => `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool, namespace: default}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: ${port}}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
${pods(port)}---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModelRewrite
metadata: {name: rollout, namespace: default}
spec:
  poolRef: {group: inference.networking.k8s.io, name: pool}
  rules:
  - matches: [{model: {type: Exact, value: chat}}]
    targets:${w1 > 0 ? `\n    - {modelRewrite: v1, weight: ${w1}}` : ''}${w2 > 0 ? `\n    - {modelRewrite: v2, weight: ${w2}}` : ''}
`;

async function run(syncer: boolean): Promise<{ steps: StepResult[]; placement: { t: number; servers: string[][] }[] }> {
  const config = { ...LLAMA3_8B_H100, modelName: 'base', maxLoras: 2 };
  const sims: SimServer[] = [];
  let port = 0;
  for (const h of HOSTS) {
    const s = new SimServer({ config, timeScale: 1, maxAdapters: 2, adapterLoadMs: LOAD_MS, loraOnDemand: true, loraModules: ['v1', 'other'] });
    port = (await s.listen(port, h)).port;
    sims.push(s);
  }
  const dir = mkdtempSync(join(tmpdir(), 'lora-rollout-'));
  const file = join(dir, 'resources.yaml');
  writeFileSync(file, resources(port, STEPS[0]!));
  const flags = ['--resources', file, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', '--refresh-metrics-interval=50ms'];
  if (syncer) flags.push('--adapter-syncer', '--adapter-syncer-interval=200ms');
  const picker = await startPicker(parseFlags(flags, {}), pino({ level: 'silent' }));
  const ds = picker.datastore;
  await new Promise((r) => setTimeout(r, 1000));

  const inflight = new Map<string, number>();
  // With the syncer: residency (vllm:lora_adapter_loaded). Without: what lora_requests_info shows (adapters with
  // requests in flight), the picker's only LoRA signal before residency.
  const holds = syncer ? (e: Endpoint, a: string) => e.loadedAdapters.has(a) : (e: Endpoint, a: string) => e.activeAdapters.has(a) || e.waitingAdapters.has(a);
  const pick = (target: string) => {
    const eps = ds.endpoints();
    let best = eps[0]!;
    const score = (e: Endpoint) => (holds(e, target) ? 0 : 1000) + e.waitingQueue + (inflight.get(e.key) ?? 0);
    for (const e of eps) if (score(e) < score(best)) best = e;
    return best;
  };
  const choose = () => {
    const rule = ds.rewriteRule('chat')!;
    const total = rule.targets.reduce((n, t) => n + t.weight, 0);
    let x = Math.random() * total;
    for (const t of rule.targets) if ((x -= t.weight) < 0) return t.modelRewrite;
    return rule.targets.at(-1)!.modelRewrite;
  };

  const steps: StepResult[] = [];
  const placement: { t: number; servers: string[][] }[] = [];
  const t0 = performance.now();
  const sampler = setInterval(() => placement.push({ t: (performance.now() - t0) / 1000, servers: sims.map((s) => [...s.adapters.names()]) }), 100);
  for (const w of STEPS) {
    writeFileSync(file, resources(port, w));
    const cold0 = sims.reduce((n, s) => n + s.adapters.coldLoads, 0);
    const lat: number[] = [];
    let errors = 0;
    const pending: Promise<void>[] = [];
    const stepEnd = performance.now() + STEP_MS;
    while (performance.now() < stepEnd) {
      // 10% of the traffic is another adapter every server holds (slot pressure: 2 slots each).
      const target = Math.random() < 0.1 ? 'other' : choose();
      const ep = pick(target);
      inflight.set(ep.key, (inflight.get(ep.key) ?? 0) + 1);
      const start = performance.now();
      pending.push(
        fetch(`http://${ep.key}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: target, prompt: 'Summarize the release notes. '.repeat(8), max_tokens: 16, ignore_eos: true }), signal: AbortSignal.timeout(10_000) })
          .then(async (res) => {
            await res.text();
            if (res.ok) lat.push(performance.now() - start);
            else errors++;
          }, () => void errors++)
          .finally(() => inflight.set(ep.key, inflight.get(ep.key)! - 1)),
      );
      await new Promise((r) => setTimeout(r, 1000 / RPS));
    }
    await Promise.all(pending);
    steps.push({ step: `${w[0]}/${w[1]}`, requests: lat.length + errors, p50: pct(lat, 0.5), p99: pct(lat, 0.99), coldLoads: sims.reduce((n, s) => n + s.adapters.coldLoads, 0) - cold0, errors });
  }
  clearInterval(sampler);
  await picker.stop();
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
  return { steps, placement };
}

const withSyncer = await run(true);
const onDemand = await run(false);
console.log('| step v1/v2 | syncer: p50 ms | p99 ms | cold loads | errors | on demand: p50 ms | p99 ms | cold loads | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
withSyncer.steps.forEach((s, i) => {
  const o = onDemand.steps[i]!;
  console.log(`| ${s.step} | ${s.p50.toFixed(0)} | ${s.p99.toFixed(0)} | ${s.coldLoads} | ${s.errors} | ${o.p50.toFixed(0)} | ${o.p99.toFixed(0)} | ${o.coldLoads} | ${o.errors} |`);
});
const final = withSyncer.placement.at(-1)!.servers.map((a) => a.join('+') || '-');
console.log(`final placement (syncer): ${final.join('  ')}`);
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify({ stepMs: STEP_MS, rps: RPS, adapterLoadMs: LOAD_MS, syncer: withSyncer.steps, onDemand: onDemand.steps, finalPlacement: final }, null, 2) + '\n');

// placement.svg: one row of two slots per server, v1 blue, v2 orange, over time; step boundaries dashed.
const W = 760;
const rowH = 36;
const pad = 70;
const tMax = withSyncer.placement.at(-1)!.t;
const x = (t: number) => pad + ((W - pad - 20) * t) / tMax;
const color: Record<string, string> = { v1: '#1f77b4', v2: '#ff7f0e', other: '#bbbbbb' };
const parts = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${HOSTS.length * rowH + 90}" font-family="sans-serif" font-size="11">`,
  '<rect width="100%" height="100%" fill="white"/>',
  `<text x="${W / 2}" y="16" text-anchor="middle" font-weight="bold">Adapter placement per server during the v1 -> v2 rollout (adapter syncer, ${RPS} req/s)</text>`,
];
const p = withSyncer.placement;
HOSTS.forEach((h, s) => {
  const y = 30 + s * rowH;
  parts.push(`<text x="4" y="${y + 20}">server ${s}</text>`);
  for (let slot = 0; slot < 2; slot++) {
    for (let i = 0; i + 1 < p.length; i++) {
      const name = [...p[i]!.servers[s]!].sort()[slot];
      if (!name) continue;
      parts.push(`<rect x="${x(p[i]!.t).toFixed(1)}" y="${y + slot * 15}" width="${(x(p[i + 1]!.t) - x(p[i]!.t) + 0.3).toFixed(1)}" height="13" fill="${color[name] ?? '#999'}"/>`);
    }
  }
});
STEPS.forEach((w, i) => {
  const t = (i * STEP_MS) / 1000;
  parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="26" y2="${30 + HOSTS.length * rowH}" stroke="#444" stroke-dasharray="3 3"/>`, `<text x="${x(t) + 2}" y="${44 + HOSTS.length * rowH}">${w[0]}/${w[1]}</text>`);
});
const ly = 64 + HOSTS.length * rowH;
parts.push(`<rect x="${pad}" y="${ly}" width="12" height="12" fill="${color.v1}"/><text x="${pad + 16}" y="${ly + 10}">v1</text>`, `<rect x="${pad + 50}" y="${ly}" width="12" height="12" fill="${color.v2}"/><text x="${pad + 66}" y="${ly + 10}">v2</text>`, `<rect x="${pad + 100}" y="${ly}" width="12" height="12" fill="${color.other}"/><text x="${pad + 116}" y="${ly + 10}">other</text>`, `<text x="${pad + 160}" y="${ly + 10}">x = seconds (weights v1/v2 at each dashed line); two adapter slots per server</text>`, '</svg>');
writeFileSync(new URL('./placement.svg', import.meta.url), parts.join('\n') + '\n');
