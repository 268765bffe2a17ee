/**
 * by-label (deprecated upstream since llm-d v0.9.0, removal planned in v0.11.0): keeps candidates whose pod label
 * `label` has one of `validValues`; pods without the label are kept only with `allowsNoLabel`. The role filters
 * (`decode-filter`, `prefill-filter`, `encode-filter`, ../role/) are instances of this filter.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { asList, child, describe, FieldError } from '../../../../input/fields.ts';
import { boolParam, read, readParams } from '../../../../input/plugin-params.ts';

export const BY_LABEL_FILTER_TYPE = 'by-label';

export class ByLabelFilter implements Filter {
  /** Upstream reports `by-label` for the role filters too (they are `ByLabel` instances with another name). */
  readonly type = BY_LABEL_FILTER_TYPE;
  readonly name: string;
  readonly label: string;
  readonly allowsNoLabel: boolean;
  readonly #valid: ReadonlySet<string>;

  constructor(name: string, label: string, allowsNoLabel: boolean, validValues: readonly string[]) {
    this.name = name;
    this.label = label;
    this.allowsNoLabel = allowsNoLabel;
    this.#valid = new Set(validValues);
  }

  filter(_request: LLMRequest, candidates: Endpoint[], n: number): number {
    const label = this.label;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      const labels = ep.labels;
      const has = Object.hasOwn(labels, label);
      // As upstream: a missing label reads as "" for the value check (so validValues [""] keeps it too).
      if ((!has && this.allowsNoLabel) || this.#valid.has(has ? labels[label]! : '')) candidates[kept++] = ep;
    }
    return kept;
  }
}

export function createByLabelFilter(name: string, params: unknown, _handle: PluginHandle): ByLabelFilter {
  const p = readParams(name, params, ['label', 'validValues', 'allowsNoLabel']);
  const label = read(name, () => {
    const v = p.label;
    if (v !== undefined && v !== null && typeof v !== 'string') throw new FieldError('label', `must be a string, got ${describe(v)}`);
    return v ?? '';
  });
  if (label === '') throw new PluginConfigError(name, 'label', `must be specified`);
  const validValues = read(name, () =>
    asList(p.validValues, 'validValues').map((v, i) => {
      if (typeof v !== 'string') throw new FieldError(child('validValues', i), `must be a string, got ${describe(v)}`);
      return v;
    }),
  );
  const allowsNoLabel = boolParam(name, p, 'allowsNoLabel', false);
  if (validValues.length === 0 && !allowsNoLabel) {
    throw new PluginConfigError(name, '', `either 'validValues' must be non-empty or 'allowsNoLabel' must be true`);
  }
  return new ByLabelFilter(name, label, allowsNoLabel, validValues);
}
