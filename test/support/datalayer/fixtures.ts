/** Test helpers: the metrics page fixtures (testdata/), and a sink that records scanned samples. */
import { readFileSync } from 'node:fs';
import { labelValue, type SampleSink } from '../../../src/datalayer/prom-text.ts';

const FIXTURES = new URL('../../../src/datalayer/testdata/', import.meta.url);

export const VLLM_FIXTURE = 'vllm-metrics-v0.30.0-qwen2.5-7b-lora.txt';
export const SGLANG_FIXTURE = 'sglang-metrics-docs-llama3.1-8b.txt';
export const TRITON_FIXTURE = 'triton-trtllm-metrics-docs.txt';

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export interface RecordedSample {
  name: string;
  labelText: string;
  value: number;
  /** Reads one label of this sample through the scanner's label functions. */
  label(name: string): string | undefined;
}

export class RecordingSink implements SampleSink {
  readonly samples: RecordedSample[] = [];
  readonly #names: readonly string[];
  constructor(names: readonly string[]) {
    this.#names = names;
  }
  sample(nameIndex: number, page: string, ls: number, le: number, value: number): void {
    this.samples.push({
      name: this.#names[nameIndex]!,
      labelText: page.slice(ls, le),
      value,
      label: (n) => labelValue(page, ls, le, n),
    });
  }
}
