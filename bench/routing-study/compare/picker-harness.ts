/**
 * The real picker, in process, for the fast simulation: a Datastore holding one pool of `replicas` pods,
 * the scheduler and saturation detector built from an EndpointPickerConfig by the production loader and
 * plugin registry, and the production Director. Time is the simulation's virtual clock, so staleness
 * checks and anything else reading the clock see simulated time.
 */
import pino from 'pino';
import { Datastore } from '../../../src/datastore/datastore.ts';
import type { Endpoint } from '../../../src/framework/endpoint.ts';
import type { PodSpec } from '../../../src/datastore/resources.ts';
import type { Clock } from '../../../src/framework/clock.ts';
import type { PluginHandle } from '../../../src/framework/plugin.ts';
import type { DataProducer } from '../../../src/framework/requestcontrol.ts';
import { inTreePluginRegistry } from '../../../src/plugins/registry.ts';
import { pickerRandom } from '../../../src/plugins/scheduling/picker/picker-random.ts';
import { Director } from '../../../src/requestcontrol/director.ts';
import { loadSchedulerConfig } from '../../../src/config/loader.ts';
import { Rng } from '../../sim/rng.ts';

export class VirtualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

export interface PickerHarness {
  director: Director;
  datastore: Datastore;
  /** Endpoints in replica order (endpoints[i] is replica i). */
  endpoints: Endpoint[];
  /** Every configured plugin (the replica sync registers their synced states). */
  plugins: Iterable<object>;
  /** The config's data producers (fast-sim.ts feeds a precise prefix producer's index from the engines). */
  dataProducers: readonly DataProducer[];
}

export const SIM_POOL = 'sim-pool';
export const SIM_PORT = 8000;

/** Pod IP of replica i in the fast simulation (never contacted; only a key). */
export function simPodIp(i: number): string {
  return `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function createPickerHarness(
  configYaml: string,
  replicas: number,
  clock: Clock,
  metricsStalenessMs: number,
  seed: number,
  roles?: readonly string[],
  objectives: readonly { objective: string; priority: number }[] = [],
): PickerHarness {
  const datastore = new Datastore({ poolName: SIM_POOL, poolNamespace: 'default' });
  const pods: PodSpec[] = [];
  for (let i = 0; i < replicas; i++) {
    const role = roles?.length ? (roles[i % roles.length] as string) : '';
    const labels: Record<string, string> = role ? { app: 'sim', 'llm-d.ai/role': role } : { app: 'sim' };
    pods.push({ name: `sim-${i}`, namespace: 'default', labels, annotations: {}, ip: simPodIp(i), ready: true, terminating: false });
  }
  datastore.replaceAll({
    pools: [
      { name: SIM_POOL, namespace: 'default', group: 'inference.networking.k8s.io', selector: { app: 'sim' }, targetPorts: [SIM_PORT], appProtocol: 'http', failureMode: 'FailClose' },
    ],
    models: [],
    objectives: objectives.map((o) => ({ name: o.objective, namespace: 'default', priority: o.priority, poolRef: SIM_POOL, createdAt: 0 })),
    rewrites: [],
    pods,
  });
  datastore.markSynced();
  const logger = pino({ level: 'silent' });
  const handle: PluginHandle = { endpoints: datastore, clock, logger, metricsStalenessMs };
  const loaded = loadSchedulerConfig(configYaml, handle, { registry: inTreePluginRegistry() });
  // Tie-breaks in the pickers draw from one shared PRNG; seed it so a run is reproducible.
  pickerRandom.seed(seed);
  const rng = new Rng(seed ^ 0x5eed);
  const director = new Director({
    datastore,
    scheduler: loaded.scheduler,
    saturation: loaded.saturationDetector,
    plugins: loaded.requestControl,
    parsers: loaded.parsers,
    metrics: undefined,
    logger,
    strictModels: false,
    disableSubsetFilter: false,
    random: () => rng.next(),
    now: () => clock.now(),
  });
  const byKey = new Map(datastore.endpoints().map((e) => [e.key, e]));
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < replicas; i++) {
    const ep = byKey.get(`${simPodIp(i)}:${SIM_PORT}`);
    if (!ep) throw new Error(`fast simulation: endpoint for replica ${i} missing from the datastore`);
    endpoints.push(ep);
  }
  return { director, datastore, endpoints, plugins: [...loaded.plugins.values()], dataProducers: loaded.requestControl.dataProducers };
}
