/**
 * The text exposition of a registry, one metric family per event-loop turn (issue 14, finding 1).
 * prom-client's Registry.metrics() renders every family in one synchronous run (its awaits resolve as
 * microtasks): at the label caps' worst case (24 MB) that held ext_proc answers for 0.27-0.46 s. Yielding between
 * families bounds the stall to the largest family's share (bench/overhead/exposition.bench.ts). Same bytes as
 * metrics() for the Prometheus text format; other formats go through metrics() unchanged.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import client, { type Registry } from 'prom-client';

type FamilyRenderer = { getMetricsAsString(metric: unknown): Promise<string> };

export async function renderMetrics(registry: Registry): Promise<string> {
  if (registry.contentType !== client.Registry.PROMETHEUS_CONTENT_TYPE) return registry.metrics();
  const render = registry as unknown as FamilyRenderer;
  const parts: string[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    parts.push(await render.getMetricsAsString(metric));
    await nextTurn();
  }
  return `${parts.join('\n\n')}\n`;
}
