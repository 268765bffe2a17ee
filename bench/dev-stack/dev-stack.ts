/**
 * `npm start`: a laptop stack. Reads the standalone resources file, starts a simulated vLLM server for every
 * ready Pod IP x target port in it (127.0.0.x loopback addresses work without setup on Linux), the picker
 * (`node src/main.ts --resources ...`, plaintext gRPC) and the local gateway, then prints a curl line.
 * Every model name the file routes to (InferenceModel targets, rewrite targets) is served, the first one as
 * the base model and the others as LoRA adapters. Ctrl-C (or SIGTERM) stops everything.
 *
 *   node bench/dev-stack/dev-stack.ts [--resources examples/standalone/resources.yaml] [--config-file FILE]
 *                           [--gateway-port 8081] [--grpc-port 9002] [--time-scale 1] [--profile llama3-8b-h100]
 *                           [--kv-events [--tokenizer PATH]]   (vLLM KV events on tcp://<pod-ip>:5557, replay :5558)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { Gateway } from './gateway/gateway.ts';
import { PICKER_ENV, PICKER_NODE_FLAGS, spawnNode, stopChild, waitForLines, type Child } from './procs.ts';
import { profile } from '../sim/profile.ts';
import { SimServer } from '../sim/server.ts';
import { RoutingSidecar } from '../sim/sidecar.ts';
import { KvEventPublisher } from '../sim/kv-events.ts';
import { loadTokenize } from '../sim/prompt-tokens.ts';

interface FleetPlan {
  /** ip:port of every simulated server. */
  endpoints: string[];
  /** The llm-d.ai/role label of each endpoint's pod ('' when none), in endpoint order. */
  roles: string[];
  /** The simulator profile of each endpoint's pod (annotation `epp-sim/profile`; '' = the --profile flag). */
  profiles: string[];
  models: string[];
}

/** Where a decode pod's vLLM listens behind its routing sidecar (upstream pd-sidecar --vllm-port default). */
export const DECODER_PORT_OFFSET = 200;
const PREFILL_ROLES = new Set(['prefill', 'encode-prefill']);
/** Pod annotation naming the simulator profile a pod runs (a heterogeneous fleet: H100, A100 and L4 pods). */
export const PROFILE_ANNOTATION = 'epp-sim/profile';
const DECODE_ROLES = new Set(['decode']);

/** Endpoints and model names from a standalone resources file (best effort: the picker validates it). */
export function planFleet(text: string): FleetPlan {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, any> | null).filter((d): d is Record<string, any> => !!d);
  const pool = docs.find((d) => d.kind === 'InferencePool');
  const selector: Record<string, string> = pool?.spec?.selector?.matchLabels ?? pool?.spec?.selector ?? {};
  const ports: number[] = (pool?.spec?.targetPorts ?? []).map((p: { number?: number } | number) => (typeof p === 'number' ? p : Number(p.number)));
  const endpoints: string[] = [];
  const roles: string[] = [];
  const profiles: string[] = [];
  for (const d of docs) {
    if (d.kind !== 'Pod') continue;
    const labels: Record<string, string> = d.metadata?.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    const ready = (d.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Ready' && c.status === 'True');
    const ip: string = d.status?.podIP ?? '';
    if (!ready || !ip) continue;
    const active = String(d.metadata?.annotations?.['inference.networking.k8s.io/active-ports'] ?? '')
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
    for (const port of ports) {
      if (active.length > 0 && !active.includes(port)) continue;
      endpoints.push(`${ip}:${port}`);
      roles.push(String(labels['llm-d.ai/role'] ?? ''));
      profiles.push(String(d.metadata?.annotations?.[PROFILE_ANNOTATION] ?? ''));
    }
  }
  const models: string[] = [];
  const add = (m: unknown): void => {
    if (typeof m === 'string' && m && !models.includes(m)) models.push(m);
  };
  for (const d of docs) {
    if (d.kind === 'InferenceModel') {
      const targets = d.spec?.targetModels ?? [];
      if (targets.length === 0) add(d.spec?.modelName);
      for (const t of targets) add(t?.name);
    }
    if (d.kind === 'InferenceModelRewrite') for (const rule of d.spec?.rules ?? []) for (const t of rule?.targets ?? []) add(t?.modelRewrite);
  }
  return { endpoints, roles, profiles, models };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      resources: { type: 'string' },
      'config-file': { type: 'string', default: '' },
      pd: { type: 'boolean', default: false },
      'gateway-port': { type: 'string', default: '8081' },
      'grpc-port': { type: 'string', default: '9002' },
      'grpc-health-port': { type: 'string', default: '9003' },
      'metrics-port': { type: 'string', default: '9090' },
      'time-scale': { type: 'string', default: '1' },
      profile: { type: 'string', default: 'llama3-8b-h100' },
      model: { type: 'string' },
      // vLLM KV events from every simulated server (tcp://<pod-ip>:5557, replay on 5558), for precise prefix configs.
      'kv-events': { type: 'boolean', default: false },
      tokenizer: { type: 'string', default: '' },
    },
  });
  // --pd: the prefill/decode example (2 prefill pods, 2 decode pods behind routing sidecars).
  const resources = values.resources ?? (values.pd ? 'examples/pd/resources.yaml' : 'examples/standalone/resources.yaml');
  if (values.pd && !values['config-file']) values['config-file'] = 'examples/pd/scheduler.yaml';
  const plan = planFleet(readFileSync(resources, 'utf8'));
  if (plan.endpoints.length === 0) throw new Error(`${resources}: no ready Pod with a podIP matches the InferencePool`);
  const config = profile(values.profile);
  config.modelName = values.model ?? plan.models[0] ?? config.modelName;
  const loras = plan.models.filter((m) => m !== config.modelName);

  const sims: SimServer[] = [];
  const sidecars: RoutingSidecar[] = [];
  let picker: Child | null = null;
  let gateway: Gateway | null = null;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await gateway?.close().catch(() => {});
    if (picker) await stopChild(picker);
    await Promise.all([...sims.flatMap((s) => [s.close(), s.kvEvents?.close()]), ...sidecars.map((s) => s.close())]);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    const prefillEndpoints = plan.endpoints.filter((_, i) => PREFILL_ROLES.has(plan.roles[i] as string));
    const tokenize = values.tokenizer ? await loadTokenize(values.tokenizer) : undefined;
    for (const [i, ep] of plan.endpoints.entries()) {
      const colon = ep.lastIndexOf(':');
      const host = ep.slice(0, colon);
      const port = Number(ep.slice(colon + 1));
      const role = plan.roles[i] as string;
      const decode = DECODE_ROLES.has(role);
      const kvRole = PREFILL_ROLES.has(role) ? 'kv_producer' : decode ? 'kv_consumer' : 'kv_both';
      const own = plan.profiles[i] ? { ...profile(plan.profiles[i] as string), modelName: config.modelName } : config;
      let kvEvents: KvEventPublisher | undefined;
      if (values['kv-events']) {
        kvEvents = new KvEventPublisher({ endpoint: `tcp://${host}:5557`, replayEndpoint: `tcp://${host}:5558`, topic: `kv@${ep}@${config.modelName}` });
        await kvEvents.bind();
      }
      const sim = new SimServer({
        config: { ...own, maxLoras: Math.max(4, own.maxLoras) },
        timeScale: Number(values['time-scale']),
        loraModules: loras,
        podName: `sim-${i}`,
        kvRole,
        ...(kvEvents ? { kvEvents } : {}),
        ...(tokenize ? { tokenize } : {}),
      });
      // A decode pod: vLLM behind the routing sidecar, which takes the pool's port (as llm-d deploys it).
      await sim.listen(decode ? port + DECODER_PORT_OFFSET : port, host);
      sims.push(sim);
      if (decode) {
        const sidecar = new RoutingSidecar({ decoderHost: host, decoderPort: port + DECODER_PORT_OFFSET, allowedPrefill: prefillEndpoints });
        await sidecar.listen(port, host);
        sidecars.push(sidecar);
      }
    }
    const described = plan.endpoints.map((ep, i) => {
      const notes = [plan.roles[i], DECODE_ROLES.has(plan.roles[i] as string) ? 'sidecar' : '', plan.profiles[i]].filter(Boolean);
      return notes.length > 0 ? `${ep} (${notes.join(', ')})` : ep;
    });
    console.log(`simulated vLLM servers: ${described.join(', ')} (model ${config.modelName}${loras.length ? `; adapters ${loras.join(', ')}` : ''})`);

    const args = [
      '--resources', resources,
      '--grpc-port', values['grpc-port'],
      '--grpc-health-port', values['grpc-health-port'],
      '--metrics-port', values['metrics-port'],
      '--bind-address', '127.0.0.1',
      '--secure-serving=false',
    ];
    if (values['config-file']) args.push('--config-file', values['config-file']);
    picker = spawnNode('epp', 'src/main.ts', args, (line) => console.log(`[epp] ${line}`), PICKER_NODE_FLAGS, PICKER_ENV);
    await waitForLines(picker, /endpoint picker started/, 1, 30_000);
    picker.proc.once('exit', (code) => {
      if (!stopping) {
        console.error(`epp exited (${code})`);
        void stop(1);
      }
    });

    gateway = new Gateway({ policy: { kind: 'extproc', target: `127.0.0.1:${values['grpc-port']}`, failureModeAllow: false }, endpoints: plan.endpoints });
    const port = (await gateway.listen(Number(values['gateway-port']), '127.0.0.1')).port;
    const body = JSON.stringify({ model: config.modelName, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 20, stream: true });
    console.log(`gateway: http://127.0.0.1:${port} -> picker 127.0.0.1:${values['grpc-port']} (metrics http://127.0.0.1:${values['metrics-port']}/metrics)`);
    console.log('\ntry:\n');
    console.log(`  curl -sN http://127.0.0.1:${port}/v1/chat/completions -H 'content-type: application/json' -d '${body}'\n`);
    console.log(`  the live pool page: http://127.0.0.1:${values['metrics-port']}/`);
    console.log(`  how a request would be routed: npx epp explain --url http://127.0.0.1:${values['metrics-port']} --model ${config.modelName} --prompt Hello!\n`);
    console.log('Ctrl-C stops everything.');
  } catch (err) {
    console.error(`dev stack: ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }
}

if (import.meta.main) void main();
