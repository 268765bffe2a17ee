/**
 * decode-filter, prefill-filter, encode-filter: by-label filters on the pod label `llm-d.ai/role` (upstream
 * `filter/bylabel/roles.go`). Only decode-filter keeps pods without the label (a pool with no roles is all decode).
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { isAbsent } from '../../../../input/fields.ts';
import { ByLabelFilter } from '../by-label/by-label.ts';

export const ROLE_LABEL = 'llm-d.ai/role';

export const DECODE_FILTER_TYPE = 'decode-filter';
export const PREFILL_FILTER_TYPE = 'prefill-filter';
export const ENCODE_FILTER_TYPE = 'encode-filter';

/** Roles each filter keeps; `both` is the deprecated spelling of `prefill-decode`. */
export const DECODE_ROLES = ['decode', 'prefill-decode', 'both', 'encode-prefill-decode'] as const;
export const PREFILL_ROLES = ['prefill', 'encode-prefill', 'prefill-decode', 'both', 'encode-prefill-decode'] as const;
export const ENCODE_ROLES = ['encode', 'encode-prefill', 'encode-prefill-decode'] as const;

/** Upstream's role factories ignore `parameters` (configs carrying some still load); ours warn. */
function ignoreParams(name: string, params: unknown, handle: PluginHandle): void {
  if (!isAbsent(params)) handle.logger.warn({ plugin: name }, 'role filters take no parameters; ignored');
}

export function createDecodeFilter(name: string, params: unknown, handle: PluginHandle): ByLabelFilter {
  ignoreParams(name, params, handle);
  return new ByLabelFilter(name, ROLE_LABEL, true, DECODE_ROLES);
}

export function createPrefillFilter(name: string, params: unknown, handle: PluginHandle): ByLabelFilter {
  ignoreParams(name, params, handle);
  return new ByLabelFilter(name, ROLE_LABEL, false, PREFILL_ROLES);
}

export function createEncodeFilter(name: string, params: unknown, handle: PluginHandle): ByLabelFilter {
  ignoreParams(name, params, handle);
  return new ByLabelFilter(name, ROLE_LABEL, false, ENCODE_ROLES);
}
