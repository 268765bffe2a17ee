/**
 * The picker's own metric families against upstream's golden files (test/data/upstream/epp-metrics: the
 * pkg/epp/metrics/testdata of GIE v1.0.0, v1.5.0 and llm-d Router HEAD). Every family there either exists here
 * with the same type and label names (`le` aside), or is listed in LACKING with why and which work brings it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Datastore } from '../src/datastore/datastore.ts';
import type { LeanHistogram } from '../src/observability/lean-histogram.ts';
import { PickerMetrics } from '../src/observability/metrics.ts';
import { FlowControlMetrics } from '../src/observability/flowcontrol-metrics.ts';
import { registerPrefixHitMetrics } from '../src/observability/prefix-hit-metrics.ts';

/** The bucket bounds of a histogram as exposed (le values, +Inf last), read from one child's series. */
async function bucketBounds(h: LeanHistogram): Promise<string> {
  h.labels(...h.labelNames.map(() => 'x'));
  const snap = await h.get();
  const out: string[] = [];
  for (const v of snap.values) {
    if (v.metricName !== `${h.name}_bucket`) continue;
    out.push(String(v.labels.le === '+Inf' ? '+Inf' : Number(v.labels.le)));
    if (v.labels.le === '+Inf') break;
  }
  return out.join(',');
}

const DIR = join(import.meta.dirname, 'data', 'upstream', 'epp-metrics');

/** Families in the golden files that the picker does not emit, with the reason / the work that brings them. */
const LACKING: Record<string, string> = {
  llm_d_epp_plugin_data_scope_violations_total: 'plugin data-scope enforcement (Produces/Consumes checks)',
  // GIE v1.0.0 names, renamed inference_objective_* in GIE v1.1; upstream emits them no more.
  inference_model_input_tokens: 'superseded (GIE v1.0 name)',
  inference_model_normalized_time_per_output_token_seconds: 'superseded (GIE v1.0 name)',
  inference_model_output_tokens: 'superseded (GIE v1.0 name)',
  inference_model_request_duration_seconds: 'superseded (GIE v1.0 name)',
  inference_model_request_error_total: 'superseded (GIE v1.0 name)',
  inference_model_request_sizes: 'superseded (GIE v1.0 name)',
  inference_model_request_total: 'superseded (GIE v1.0 name)',
  inference_model_response_sizes: 'superseded (GIE v1.0 name)',
  inference_model_running_requests: 'superseded (GIE v1.0 name)',
  // Golden files that no upstream test reads any more: upstream code emits TTFT/TPOT only as
  // llm_d_epp_request_ttft_seconds / llm_d_epp_request_streaming_tpot_seconds (which we emit).
  inference_model_request_ttft_seconds: 'stale upstream golden file (no such family in upstream code)',
  inference_model_request_tpot_seconds: 'stale upstream golden file (no such family in upstream code)',
};

/**
 * Where the golden files and upstream code disagree, upstream code wins: llm_d_epp_prefix_indexer_{size,hit_*} carry
 * {plugin_name, plugin_type} in pkg/epp/framework/plugins/requestcontrol/dataproducer/approximateprefix/metrics.go.
 */
const LABELS_FROM_CODE: Record<string, string[]> = {
  llm_d_epp_prefix_indexer_size: ['plugin_name', 'plugin_type'],
  llm_d_epp_prefix_indexer_hit_bytes: ['plugin_name', 'plugin_type'],
  llm_d_epp_prefix_indexer_hit_ratio: ['plugin_name', 'plugin_type'],
};

interface Family {
  type: string;
  labels: Set<string>;
  files: string[];
  /** Bucket bounds by release ('router-main', 'gie-v1.5.0', 'gie-v1.0.0'). */
  buckets: Map<string, Set<string>>;
}

/** The newest release first: bucket bounds are compared with the newest golden file of a family. */
const RELEASES = ['router-main', 'gie-v1.5.0', 'gie-v1.0.0'];

function goldenFamilies(): Map<string, Family> {
  const fams = new Map<string, Family>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.txt'))) {
    const text = readFileSync(join(DIR, file), 'utf8');
    for (const line of text.split('\n')) {
      const t = /^# TYPE (\S+) (\S+)/.exec(line);
      if (t) {
        const f: Family = fams.get(t[1]!) ?? { type: t[2]!, labels: new Set<string>(), files: [], buckets: new Map() };
        f.type = t[2]!;
        f.files.push(file);
        fams.set(t[1]!, f);
        continue;
      }
      const s = /^([a-zA-Z_:][\w:]*?)(_bucket|_sum|_count)?(?:\{([^}]*)\})?\s/.exec(line);
      if (!s || line.startsWith('#')) continue;
      const name = fams.has(s[1]!) ? s[1]! : `${s[1]}${s[2] ?? ''}`;
      const f = fams.get(name);
      if (!f) continue; // a sample without a TYPE line (one upstream file has a typo'd name)
      for (const m of (s[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) {
        if (m[1] !== 'le') f.labels.add(m[1]!);
        else {
          const release = file.split('__')[0]!;
          const set = f.buckets.get(release) ?? new Set<string>();
          set.add(m[2] === '+Inf' || m[2] === 'Inf' ? '+Inf' : String(Number(m[2])));
          f.buckets.set(release, set);
        }
      }
    }
  }
  return fams;
}

test('upstream golden metric files: every family exists with the same type, label names and buckets, or is listed as lacking', async () => {
  const golden = goldenFamilies();
  assert.ok(golden.size >= 60, `parsed ${golden.size} families`);
  const metrics = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'default' }), { stalenessMs: 1000, now: () => 0, prefixIndexSize: () => 0 });
  new FlowControlMetrics(metrics.registry, 'p'); // registered beside them when the flowControl gate is on
  registerPrefixHitMetrics(metrics.registry, () => []); // registered when an approx prefix producer is configured
  const problems: string[] = [];
  let present = 0;
  for (const [name, fam] of golden) {
    const ours = metrics.registry.getSingleMetric(name) as { type?: string; labelNames?: readonly string[] } | undefined;
    if (LACKING[name] !== undefined) {
      if (ours) problems.push(`${name} is emitted now: remove it from LACKING`);
      continue;
    }
    if (!ours) {
      problems.push(`${name} (${fam.type}, from ${fam.files[0]}) is missing`);
      continue;
    }
    present++;
    const want = LABELS_FROM_CODE[name] ?? [...fam.labels];
    if (ours.type !== fam.type) problems.push(`${name}: type ${ours.type}, upstream ${fam.type}`);
    const have = [...(ours.labelNames ?? [])].sort();
    if (have.join(',') !== [...want].sort().join(',')) problems.push(`${name}: labels ${have.join(',')}, upstream ${[...want].sort().join(',')}`);
    if (fam.type === 'histogram') {
      const release = RELEASES.find((r) => fam.buckets.has(r));
      if (release === undefined) continue;
      const upstream = [...fam.buckets.get(release)!].join(',');
      const mine = await bucketBounds(ours as unknown as LeanHistogram);
      if (mine !== upstream) problems.push(`${name}: buckets ${mine}, upstream ${release} ${upstream}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(present >= 35, `${present} upstream families present`);
});

test('every canonical llm_d_epp_* family we emit has its GIE alias where upstream has one, and the pairs share label roots', () => {
  const metrics = new PickerMetrics(new Datastore({ poolName: 'p', poolNamespace: 'default' }), { stalenessMs: 1000, now: () => 0, prefixIndexSize: () => 0 });
  new FlowControlMetrics(metrics.registry, 'p'); // registered beside them when the flowControl gate is on
  registerPrefixHitMetrics(metrics.registry, () => []); // registered when an approx prefix producer is configured
  const names = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
  const aliases: [string, string][] = [
    ['llm_d_epp_request_total', 'inference_objective_request_total'],
    ['llm_d_epp_request_error_total', 'inference_objective_request_error_total'],
    ['llm_d_epp_request_duration_seconds', 'inference_objective_request_duration_seconds'],
    ['llm_d_epp_request_size_bytes', 'inference_objective_request_sizes'],
    ['llm_d_epp_response_size_bytes', 'inference_objective_response_sizes'],
    ['llm_d_epp_request_input_tokens', 'inference_objective_input_tokens'],
    ['llm_d_epp_request_output_tokens', 'inference_objective_output_tokens'],
    ['llm_d_epp_request_cached_tokens', 'inference_objective_prompt_cached_tokens'],
    ['llm_d_epp_request_running', 'inference_objective_running_requests'],
    ['llm_d_epp_request_ntpot_seconds', 'inference_objective_normalized_time_per_output_token_seconds'],
    ['llm_d_epp_average_kv_cache_utilization', 'inference_pool_average_kv_cache_utilization'],
    ['llm_d_epp_average_queue_size', 'inference_pool_average_queue_size'],
    ['llm_d_epp_average_running_requests', 'inference_pool_average_running_requests'],
    ['llm_d_epp_ready_endpoints', 'inference_pool_ready_pods'],
    ['llm_d_epp_per_endpoint_queue_size', 'inference_pool_per_pod_queue_size'],
    ['llm_d_epp_scheduler_e2e_duration_seconds', 'inference_extension_scheduler_e2e_duration_seconds'],
    ['llm_d_epp_scheduler_attempts_total', 'inference_extension_scheduler_attempts_total'],
    ['llm_d_epp_plugin_duration_seconds', 'inference_extension_plugin_duration_seconds'],
    ['llm_d_epp_prefix_indexer_size', 'inference_extension_prefix_indexer_size'],
    ['llm_d_epp_info', 'inference_extension_info'],
    ['llm_d_epp_model_rewrite_decisions_total', 'inference_extension_model_rewrite_decisions_total'],
    ['llm_d_epp_datalayer_poll_errors_total', 'llm_d_inference_scheduler_datalayer_poll_errors_total'],
    ['llm_d_epp_flow_control_request_enqueue_duration_seconds', 'inference_extension_flow_control_request_enqueue_duration_seconds'],
    ['llm_d_epp_flow_control_dispatch_cycle_duration_seconds', 'inference_extension_flow_control_dispatch_cycle_duration_seconds'],
    ['llm_d_epp_prefix_indexer_hit_bytes', 'inference_extension_prefix_indexer_hit_bytes'],
    ['llm_d_epp_prefix_indexer_hit_ratio', 'inference_extension_prefix_indexer_hit_ratio'],
  ];
  for (const [canonical, legacy] of aliases) {
    assert.ok(names.has(canonical), canonical);
    assert.ok(names.has(legacy), legacy);
  }
  // Canonical only upstream.
  for (const n of ['llm_d_epp_request_ttft_seconds', 'llm_d_epp_request_streaming_tpot_seconds', 'llm_d_epp_request_processing_duration_seconds', 'llm_d_epp_std_dev_kv_cache_utilization', 'llm_d_epp_std_dev_queue_size', 'llm_d_epp_std_dev_running_requests']) {
    assert.ok(names.has(n), n);
  }
});
