/**
 * dcgm-extractor (upstream datalayer/extractor/dcgm, Alpha): from a dcgm-data-source page, the endpoint's GPU
 * utilization: the max of `DCGM_FI_DEV_GPU_UTIL` over the samples of this pod (a sample with a `pod` label must
 * name the endpoint's pod; one without is kept: a sidecar exporter), divided by 100, written as the numeric
 * attribute `GPUUtilization/dcgm-extractor` that endpoint-attribute-filter and -scorer read (producer: dcgm-extractor).
 * No parameters.
 */
import { dataKey } from '../../../../framework/data-keys.ts';
import type { PageExtractor } from '../../../../framework/datalayer.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readParams } from '../../../../input/plugin-params.ts';
import { labelValue, PromScanner, type SampleSink } from '../../../../datalayer/prom-text.ts';

export const DCGM_EXTRACTOR_TYPE = 'dcgm-extractor';
export const GPU_UTIL_METRIC = 'DCGM_FI_DEV_GPU_UTIL';
export const GPU_UTILIZATION_ATTRIBUTE = 'GPUUtilization';

const SCANNER = new PromScanner([GPU_UTIL_METRIC]);

export class DcgmExtractor implements PageExtractor, SampleSink {
  readonly type = DCGM_EXTRACTOR_TYPE;
  readonly name: string;
  readonly dataExtractor = true as const;
  readonly produces: readonly string[];
  readonly #key: string;
  // Scan state (extraction is synchronous).
  #pod = '';
  #max = 0;
  #found = false;
  #families = 0;

  constructor(name: string) {
    this.name = name;
    this.#key = dataKey(GPU_UTILIZATION_ATTRIBUTE, DCGM_EXTRACTOR_TYPE); // upstream: the type, whatever the instance name
    this.produces = [this.#key];
  }

  extract(endpoint: Endpoint, page: string): void {
    this.#pod = endpoint.podName;
    this.#max = 0;
    this.#found = false;
    this.#families = 0;
    SCANNER.scan(page, this);
    if (this.#families === 0) throw new Error(`metric "${GPU_UTIL_METRIC}" not found in DCGM response`);
    if (!this.#found) throw new Error(`metric "${GPU_UTIL_METRIC}" present but has no samples for pod "${this.#pod}"`);
    endpoint.attributes.set(this.#key, this.#max / 100);
  }

  sample(_nameIndex: number, page: string, labelsStart: number, labelsEnd: number, value: number): void {
    this.#families++;
    const pod = labelValue(page, labelsStart, labelsEnd, 'pod');
    if (this.#pod !== '' && pod !== undefined && pod !== this.#pod) return;
    if (value > this.#max) this.#max = value;
    this.#found = true;
  }
}

export function createDcgmExtractor(name: string, params: unknown, _handle: PluginHandle): DcgmExtractor {
  readParams(name, params, []);
  return new DcgmExtractor(name);
}
