/**
 * The text exposition of a registry, rendered in slices of at most SLICE series, one slice per event-loop turn
 * (issue 14, finding 1). prom-client's Registry.metrics() renders every family in one synchronous run (its awaits
 * resolve as microtasks): at the label caps' worst case (24 MB) that held ext_proc answers for 0.2-0.5 s
 * (bench/overhead/exposition.bench.ts). Same bytes as metrics() for the Prometheus text format (a test compares
 * them); other formats go through metrics() unchanged.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import client, { type Registry } from 'prom-client';

/** Series per slice: ~1 MB of text at the longest label values, a few ms. */
const SLICE = 2000;

type Snapshot = { name: string; values: unknown[] };
type FamilyRenderer = { getMetricsAsString(metric: unknown): Promise<string> };
type Family = { getForPromString?: () => Promise<Snapshot>; get(): Promise<Snapshot> };

/**
 * The exposition in pieces (each family's slices, with the separators of metrics()), one event-loop turn
 * apart: the metrics server writes them as they come, so no 24 MB string is built and then collected.
 */
export async function* metricsChunks(registry: Registry): AsyncGenerator<string> {
  if (registry.contentType !== client.Registry.PROMETHEUS_CONTENT_TYPE) {
    yield await registry.metrics();
    return;
  }
  const render = registry as unknown as FamilyRenderer;
  let first = true;
  for (const metric of registry.getMetricsAsArray() as unknown as Family[]) {
    // As prom-client reads a family: getForPromString when the metric has it (the lean ones), else get().
    const snap = typeof metric.getForPromString === 'function' ? await metric.getForPromString() : await metric.get();
    for (let i = 0; i === 0 || i < snap.values.length; i += SLICE) {
      const slice = snap.values.length <= SLICE ? snap : { ...snap, values: snap.values.slice(i, i + SLICE) };
      const text = await render.getMetricsAsString({ get: async () => slice });
      // A family starts after a blank line; every slice after its first drops the # HELP and # TYPE lines.
      if (i === 0) yield first ? text : `\n\n${text}`;
      else yield `\n${text.slice(text.indexOf('\n', text.indexOf('\n') + 1) + 1)}`;
      first = false;
      await nextTurn();
    }
  }
  yield '\n';
}

/** The whole exposition as one string (tests, callers that need it whole). */
export async function renderMetrics(registry: Registry): Promise<string> {
  let out = '';
  for await (const piece of metricsChunks(registry)) out += piece;
  return out;
}
