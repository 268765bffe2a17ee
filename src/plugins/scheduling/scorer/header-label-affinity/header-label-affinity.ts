/**
 * header-label-affinity-scorer (upstream scheduling/scorer/headerlabelaffinity, Alpha, Affinity): 1 for an
 * endpoint whose label `labelKey` equals the request header `headerName`, else 0 (no header: all 0). One
 * instance per header-to-label mapping, each with its own profile weight.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { isAbsent } from '../../../../input/fields.ts';
import { readParams, stringParam } from '../../../../input/plugin-params.ts';

export const HEADER_LABEL_AFFINITY_SCORER_TYPE = 'header-label-affinity-scorer';

export class HeaderLabelAffinityScorer implements Scorer {
  readonly type = HEADER_LABEL_AFFINITY_SCORER_TYPE;
  readonly category = 'Affinity' as const;
  readonly name: string;
  /** Lower-cased, as request headers are stored. */
  readonly #header: string;
  readonly #labelKey: string;

  constructor(name: string, headerName: string, labelKey: string) {
    this.name = name;
    this.#header = headerName.toLowerCase();
    this.#labelKey = labelKey;
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const wanted = request.headers.get(this.#header) ?? '';
    for (let i = 0; i < n; i++) out[i] = wanted !== '' && candidates[i]!.labels[this.#labelKey] === wanted ? 1 : 0;
  }
}

export function createHeaderLabelAffinityScorer(name: string, params: unknown, _handle: PluginHandle): HeaderLabelAffinityScorer {
  if (isAbsent(params)) throw new PluginConfigError(name, '', 'parameters are required (headerName, labelKey)');
  const p = readParams(name, params, ['headerName', 'labelKey']);
  const headerName = stringParam(name, p, 'headerName', '');
  if (headerName === '') throw new PluginConfigError(name, 'headerName', 'required');
  const labelKey = stringParam(name, p, 'labelKey', '');
  if (labelKey === '') throw new PluginConfigError(name, 'labelKey', 'required');
  return new HeaderLabelAffinityScorer(name, headerName, labelKey);
}
