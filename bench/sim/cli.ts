/**
 * `epp-sim`: runs one or more simulated vLLM servers.
 *
 *   node bench/sim/cli.ts --hosts 127.0.0.2,127.0.0.3 --port 8000 --time-scale 10 [--profile llama2-7b-h100]
 *
 * One engine per host (all in this process, which keeps a fleet cheap on a small machine). Prints one
 * "listening" line per server, then runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PROFILE, PROFILES, profile, type EngineConfig } from './profile.ts';
import { SimServer } from './server.ts';
import { KvEventPublisher } from './kv-events.ts';
import { loadTokenize } from './prompt-tokens.ts';

const USAGE = `usage: epp-sim [options]
  --hosts LIST                  comma-separated listen addresses, one server each (default 127.0.0.1)
  --port N                      port on every host (default 8000; 0 = any)
  --time-scale X                wall ms per simulated ms (default 1)
  --profile NAME                ${Object.keys(PROFILES).join(' | ')} (default ${DEFAULT_PROFILE})
  --model NAME                  served model name (default: the profile's)
  --lora-modules LIST           comma-separated adapter names served besides the base model
  --max-loras N                 adapters per batch (default 4 when --lora-modules is set)
  --max-adapters N              adapters loaded at most; > 0 serves /v1/load_lora_adapter and /v1/unload_lora_adapter
  --adapter-load-ms N           simulated ms an adapter load takes (default 0)
  --lora-on-demand              a request for an unloaded adapter loads it first (cold load) instead of 404
  --max-num-seqs N, --max-num-batched-tokens N, --num-gpu-blocks N, --max-model-len N, --max-waiting N
  --pod-name-prefix S           x-inference-pod header is S<index> (default sim-)
  --kv-events-port N            publish vLLM KV events on tcp://<host>:N (ZMQ PUB), topic kv@<host>:<port>@<model>
  --kv-events-replay-port N     replay socket (ZMQ ROUTER) on tcp://<host>:N (needs --kv-events-port)
  --tokenizer PATH              tokenizer.json (file or directory) for KV-event token ids and /tokenize
                                (default: the byte-packing estimate the picker's token-producer uses)`;

export interface SimCliOptions {
  hosts: string[];
  port: number;
  timeScale: number;
  config: EngineConfig;
  loraModules: string[];
  maxAdapters: number | undefined;
  adapterLoadMs: number;
  loraOnDemand: boolean;
  podNamePrefix: string;
  kvEventsPort: number;
  kvEventsReplayPort: number;
  tokenizer: string;
}

export function parseSimArgs(argv: string[]): SimCliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8000' },
      'time-scale': { type: 'string', default: '1' },
      profile: { type: 'string', default: DEFAULT_PROFILE },
      model: { type: 'string' },
      'lora-modules': { type: 'string', default: '' },
      'max-loras': { type: 'string' },
      'max-adapters': { type: 'string' },
      'adapter-load-ms': { type: 'string' },
      'lora-on-demand': { type: 'boolean', default: false },
      'max-num-seqs': { type: 'string' },
      'max-num-batched-tokens': { type: 'string' },
      'num-gpu-blocks': { type: 'string' },
      'max-model-len': { type: 'string' },
      'max-waiting': { type: 'string' },
      'pod-name-prefix': { type: 'string', default: 'sim-' },
      'kv-events-port': { type: 'string', default: '0' },
      'kv-events-replay-port': { type: 'string', default: '0' },
      tokenizer: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const config = profile(values.profile);
  if (values.model) config.modelName = values.model;
  const int = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: not a non-negative integer: ${v}`);
    return n;
  };
  config.maxNumSeqs = int(values['max-num-seqs'], 'max-num-seqs') ?? config.maxNumSeqs;
  config.maxNumBatchedTokens = int(values['max-num-batched-tokens'], 'max-num-batched-tokens') ?? config.maxNumBatchedTokens;
  config.numGpuBlocks = int(values['num-gpu-blocks'], 'num-gpu-blocks') ?? config.numGpuBlocks;
  config.maxModelLen = int(values['max-model-len'], 'max-model-len') ?? config.maxModelLen;
  config.maxWaiting = int(values['max-waiting'], 'max-waiting') ?? config.maxWaiting;
  const loraModules = values['lora-modules'].split(',').filter(Boolean);
  const maxAdapters = int(values['max-adapters'], 'max-adapters');
  config.maxLoras = int(values['max-loras'], 'max-loras') ?? (loraModules.length > 0 || (maxAdapters ?? 0) > 0 ? 4 : 0);
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0)) throw new Error(`--time-scale must be > 0`);
  return {
    hosts: values.hosts.split(',').filter(Boolean),
    port: int(values.port, 'port') ?? 8000,
    timeScale,
    config,
    loraModules,
    maxAdapters,
    adapterLoadMs: int(values['adapter-load-ms'], 'adapter-load-ms') ?? 0,
    loraOnDemand: values['lora-on-demand'],
    podNamePrefix: values['pod-name-prefix'],
    kvEventsPort: int(values['kv-events-port'], 'kv-events-port') ?? 0,
    kvEventsReplayPort: int(values['kv-events-replay-port'], 'kv-events-replay-port') ?? 0,
    tokenizer: values.tokenizer,
  };
}

export async function startFleet(o: SimCliOptions): Promise<SimServer[]> {
  const servers: SimServer[] = [];
  const tokenize = o.tokenizer === '' ? undefined : await loadTokenize(o.tokenizer);
  for (const [i, host] of o.hosts.entries()) {
    let kvEvents: KvEventPublisher | undefined;
    if (o.kvEventsPort > 0) {
      kvEvents = new KvEventPublisher({
        endpoint: `tcp://${host}:${o.kvEventsPort}`,
        replayEndpoint: o.kvEventsReplayPort > 0 ? `tcp://${host}:${o.kvEventsReplayPort}` : '',
        topic: `kv@${host}:${o.port}@${o.config.modelName}`,
      });
      await kvEvents.bind();
    }
    const s = new SimServer({
      config: { ...o.config },
      timeScale: o.timeScale,
      loraModules: o.loraModules,
      maxAdapters: o.maxAdapters,
      adapterLoadMs: o.adapterLoadMs,
      loraOnDemand: o.loraOnDemand,
      podName: `${o.podNamePrefix}${i}`,
      ...(kvEvents ? { kvEvents } : {}),
      ...(tokenize ? { tokenize } : {}),
    });
    const addr = await s.listen(o.port, host);
    const events = kvEvents ? ` kv-events=${kvEvents.options.endpoint}${kvEvents.options.replayEndpoint ? ` replay=${kvEvents.options.replayEndpoint}` : ''}` : '';
    console.log(`epp-sim listening on http://${host}:${addr.port} model=${o.config.modelName} time-scale=${o.timeScale}${events}`);
    servers.push(s);
  }
  return servers;
}

/** Runs the CLI (also the entry point of a `bin/epp-sim.js` shim, which imports this module and calls it). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const servers = await startFleet(parseSimArgs(argv));
  const stop = (): void => {
    void Promise.all(servers.flatMap((s) => [s.close(), s.kvEvents?.close()])).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(`epp-sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
