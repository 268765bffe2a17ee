/**
 * EndpointPickerConfigs with disaggregatedset-rollout-screener for routing tests: upstream's README config
 * (test/data/upstream/configs/router-v0.10.0__README.md_block10.yaml) and its screener in front of a P/D config
 * (prefill-filter / decode-filter on llm-d.ai/role, always disaggregating).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README_CONFIG = readFileSync(join(import.meta.dirname, '../../data/upstream/configs/router-v0.10.0__README.md_block10.yaml'), 'utf8');
const SCREENER_BLOCK = README_CONFIG.slice(README_CONFIG.indexOf('- type: disaggregatedset-rollout-screener'), README_CONFIG.indexOf('- type: header-label-affinity-scorer'));
export const PD_CONFIG = `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
${SCREENER_BLOCK}- type: prefill-filter
- type: decode-filter
- type: queue-scorer
- type: max-score-picker
- type: always-disagg-pd-decider
- type: disagg-profile-handler
  parameters:
    deciders:
      prefill: always-disagg-pd-decider
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
`;

export const REV = 'disaggregatedset.x-k8s.io/revision';
export const SLICE = 'disaggregatedset.x-k8s.io/slice';
/** The labels of a DisaggregatedSet pod of `revision` and `role` (both role labels), in `slice`. */
export const rolloutPod = (revision: string, role: string, slice: string): Record<string, string> => ({
  'llm-d.ai/role': role,
  'disaggregatedset.x-k8s.io/name': 'my-set',
  [REV]: revision,
  'disaggregatedset.x-k8s.io/role': role,
  [SLICE]: slice,
});
