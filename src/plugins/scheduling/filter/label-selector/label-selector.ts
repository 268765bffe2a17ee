/**
 * label-selector-filter (deprecated alias by-label-selector): keeps candidates whose pod labels match a
 * metav1.LabelSelector (`matchLabels` AND `matchExpressions` with In, NotIn, Exists, DoesNotExist). The
 * parameters are the selector itself; an empty selector keeps everything. Matching is src/input/label-selector.ts,
 * the same matcher the pool selector uses.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { isAbsent } from '../../../../input/fields.ts';
import { matchesLabels, readLabelSelector, type LabelSelector } from '../../../../input/label-selector.ts';
import { read } from '../../../../input/plugin-params.ts';

export const LABEL_SELECTOR_FILTER_TYPE = 'label-selector-filter';
/** Deprecated in llm-d v0.9.0, planned removal in v0.11.0; instances keep reporting this type, as upstream. */
export const BY_LABEL_SELECTOR_TYPE = 'by-label-selector';

export class LabelSelectorFilter implements Filter {
  readonly type: string;
  readonly name: string;
  readonly selector: LabelSelector;

  constructor(type: string, name: string, selector: LabelSelector) {
    this.type = type;
    this.name = name;
    this.selector = selector;
  }

  filter(_request: LLMRequest, candidates: Endpoint[], n: number): number {
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (matchesLabels(this.selector, ep.labels)) candidates[kept++] = ep;
    }
    return kept;
  }
}

function readSelector(name: string, params: unknown): LabelSelector {
  return read(name, () => readLabelSelector(isAbsent(params) ? {} : params, '', { expressions: true }));
}

export function createLabelSelectorFilter(name: string, params: unknown, _handle: PluginHandle): LabelSelectorFilter {
  return new LabelSelectorFilter(LABEL_SELECTOR_FILTER_TYPE, name, readSelector(name, params));
}

export function createByLabelSelectorFilter(name: string, params: unknown, handle: PluginHandle): LabelSelectorFilter {
  handle.logger.warn({ plugin: name }, `plugin type '${BY_LABEL_SELECTOR_TYPE}' is deprecated, use '${LABEL_SELECTOR_FILTER_TYPE}' instead`);
  return new LabelSelectorFilter(BY_LABEL_SELECTOR_TYPE, name, readSelector(name, params));
}
