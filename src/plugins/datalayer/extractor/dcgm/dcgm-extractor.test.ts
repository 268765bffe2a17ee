/**
 * dcgm-extractor on pages, without the poller (that path: source/dcgm/dcgm-source.test.ts). Cases from upstream
 * llm-d-router `pkg/epp/framework/plugins/datalayer/extractor/dcgm/extractor_test.go` (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createDcgmExtractor } from './dcgm-extractor.ts';

const KEY = 'GPUUtilization/dcgm-extractor';
const run = (page: string, pod = 'pod-a'): { value: unknown; error: string } => {
  const ep = new Endpoint('10.0.0.1', 8000, pod, 'default', 0, 'vllm');
  try {
    createDcgmExtractor('any-name', undefined, testHandle()).extract(ep, page);
    return { value: ep.attributes.get(KEY), error: '' };
  } catch (e) {
    return { value: ep.attributes.get(KEY), error: (e as Error).message };
  }
};

const cases: { name: string; page: string; pod?: string; value?: number; error?: RegExp }[] = [
  { name: 'missing metric', page: 'DCGM_FI_DEV_FB_USED 1\n', error: /metric "DCGM_FI_DEV_GPU_UTIL" not found in DCGM response/ },
  { name: 'single unlabelled GPU', page: 'DCGM_FI_DEV_GPU_UTIL 55\n', value: 0.55 },
  { name: 'multiple GPUs: max', page: 'DCGM_FI_DEV_GPU_UTIL{gpu="0"} 20\nDCGM_FI_DEV_GPU_UTIL{gpu="1"} 90\nDCGM_FI_DEV_GPU_UTIL{gpu="2"} 40\n', value: 0.9 },
  { name: 'pod label filters samples', page: 'DCGM_FI_DEV_GPU_UTIL{pod="pod-a"} 30\nDCGM_FI_DEV_GPU_UTIL{pod="pod-b"} 99\n', value: 0.3 },
  { name: 'no sample for this pod', page: 'DCGM_FI_DEV_GPU_UTIL{pod="pod-b"} 99\n', error: /present but has no samples for pod "pod-a"/ },
  { name: 'zero utilization', page: 'DCGM_FI_DEV_GPU_UTIL 0\n', value: 0 },
];
for (const c of cases) {
  test(`dcgm-extractor: ${c.name}`, () => {
    const r = run(c.page, c.pod);
    if (c.error) assert.match(r.error, c.error);
    else assert.equal(r.value, c.value);
  });
}

test('dcgm-extractor: the key is the type\'s, whatever the instance name; it takes no parameters', () => {
  assert.deepEqual(createDcgmExtractor('gpu', undefined, testHandle()).produces, [KEY]);
  assert.throws(() => createDcgmExtractor('gpu', { x: 1 }, testHandle()), /parameters\.x: unknown parameter/);
});
