/**
 * dcgm-data-source + dcgm-extractor against a loopback fake DCGM exporter (the exporter's text format), through
 * the real page poller, then endpoint-attribute-filter/-scorer reading the attribute. Cases from upstream
 * llm-d-router `datalayer/source/dcgm/datasource_test.go` and `datalayer/extractor/dcgm/extractor_test.go`
 * (mirror commit ebab68792).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { Endpoint } from '../../../../framework/endpoint.ts';
import { PagePoller } from '../../../../datalayer/page-poller.ts';
import { makeRequest, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createEndpointAttributeFilter } from '../../../scheduling/filter/endpoint-attribute/endpoint-attribute.ts';
import { createDcgmExtractor } from '../../extractor/dcgm/dcgm-extractor.ts';
import { createDcgmDataSource } from './dcgm-source.ts';

/** A DCGM exporter page as dcgm-exporter writes it (DaemonSet mode: one sample per GPU, labelled with its pod). */
const PAGE = `# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1",container="vllm",namespace="default",pod="pod-a"} 35
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1",container="vllm",namespace="default",pod="pod-a"} 80
DCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-c",device="nvidia2",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1",container="vllm",namespace="default",pod="pod-b"} 10
# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",pod="pod-a"} 70000
`;

async function exporter(t: TestContext, page: string): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, paths };
}

const ep = (address: string, pod: string, nodeAddress = ''): Endpoint => {
  const e = new Endpoint(address, 8000, pod, 'default', 0, 'vllm');
  e.nodeAddress = nodeAddress;
  return e;
};

function poller(source: ReturnType<typeof createDcgmDataSource>, endpoints: Endpoint[]): PagePoller {
  return new PagePoller({
    datastore: { endpoints: () => endpoints, on: () => undefined, off: () => undefined },
    logger: pino({ level: 'silent' }),
    sources: [{ source, extractors: [createDcgmExtractor('gpu', undefined, testHandle())] }],
    defaultIntervalMs: 50,
    timeoutMs: 2000,
  });
}

test('dcgm: DaemonSet exporter on the node address: per pod, the max over its GPUs / 100; the filter reads it', async (t) => {
  const { port, paths } = await exporter(t, PAGE);
  // The pods' own IPs have nothing listening: only the node address answers.
  const eps = [ep('127.0.0.2', 'pod-a', '127.0.0.1'), ep('127.0.0.3', 'pod-b', '127.0.0.1'), ep('127.0.0.4', 'pod-c', '127.0.0.1')];
  const source = createDcgmDataSource('dcgm', { port, useNodeAddress: true, interval: '1s' }, testHandle());
  const p = poller(source, eps);
  await p.pollAll({ source, extractors: [createDcgmExtractor('gpu', undefined, testHandle())] });
  assert.deepEqual(paths, ['/metrics', '/metrics', '/metrics']);
  assert.equal(eps[0]!.attributes.get('GPUUtilization/dcgm-extractor'), 0.8);
  assert.equal(eps[1]!.attributes.get('GPUUtilization/dcgm-extractor'), 0.1);
  assert.equal(eps[2]!.attributes.has('GPUUtilization/dcgm-extractor'), false, 'no sample for pod-c: an error, no attribute');
  assert.deepEqual(p.counts.get('dcgm'), { polls: 3, failures: 1 });

  const filter = createEndpointAttributeFilter('f', { attribute: 'GPUUtilization', producer: 'dcgm-extractor', onMissing: 'Fail', algorithm: { type: 'threshold', threshold: { operator: 'LessThanOrEqual', value: 0.5 } } }, testHandle());
  const work = [...eps];
  const kept = filter.filter(makeRequest(), work, work.length);
  assert.deepEqual(work.slice(0, kept).map((e) => e.podName), ['pod-b']);
  await p.stop();
});

test('dcgm: sidecar exporter on the pod IP; unlabelled samples are the pod\'s; a page without the metric fails', async (t) => {
  const sidecar = await exporter(t, 'DCGM_FI_DEV_GPU_UTIL{gpu="0"} 42\nDCGM_FI_DEV_GPU_UTIL{gpu="1"} 7\n');
  const eps = [ep('127.0.0.1', 'pod-x')];
  const source = createDcgmDataSource('dcgm', { port: sidecar.port, path: '/metrics' }, testHandle());
  const p = poller(source, eps);
  await p.pollAll({ source, extractors: [createDcgmExtractor('gpu', undefined, testHandle())] });
  assert.equal(eps[0]!.attributes.get('GPUUtilization/dcgm-extractor'), 0.42);
  const other = await exporter(t, 'DCGM_FI_DEV_FB_USED{gpu="0"} 1\n');
  const src2 = createDcgmDataSource('dcgm', { port: other.port }, testHandle());
  const p2 = poller(src2, eps);
  await p2.pollAll({ source: src2, extractors: [createDcgmExtractor('gpu', undefined, testHandle())] });
  assert.deepEqual(p2.counts.get('dcgm'), { polls: 1, failures: 1 });
  assert.equal(eps[0]!.attributes.get('GPUUtilization/dcgm-extractor'), 0.42, 'a failed poll keeps the last value');
  await p.stop();
  await p2.stop();
});

test('dcgm-data-source: defaults and parameter errors', () => {
  assert.deepEqual(createDcgmDataSource('d', undefined, testHandle()).poll, { scheme: 'http', path: '/metrics', port: 9400, intervalMs: 0, insecureSkipVerify: true, useNodeAddress: false, caCertPath: '', clientCertPath: '', clientKeyPath: '' });
  assert.throws(() => createDcgmDataSource('d', { scheme: 'ftp' }, testHandle()), /parameters\.scheme: unsupported scheme: ftp/);
  assert.throws(() => createDcgmDataSource('d', { port: 'x' }, testHandle()), /parameters\.port/);
  assert.throws(() => createDcgmDataSource('d', { interval: 'soon' }, testHandle()), /parameters\.interval/);
  assert.throws(() => createDcgmExtractor('e', { a: 1 }, testHandle()), /parameters\.a: unknown parameter/);
});

test('dcgm: upstream\'s sample config (router main, sim-epp-gpu-config.yaml) loads with the source bound to its extractor', async () => {
  const { readFileSync } = await import('node:fs');
  const { loadSchedulerConfig } = await import('../../../../config/loader.ts');
  const { inTreePluginRegistry } = await import('../../../registry.ts');
  const text = readFileSync(new URL('../../../../../test/data/upstream/configs/router-main__sim-epp-gpu-config.yaml.yaml', import.meta.url), 'utf8');
  const loaded = loadSchedulerConfig(text, testHandle(), { registry: inTreePluginRegistry() });
  assert.equal(loaded.dataLayer.polled.length, 1);
  assert.equal(loaded.dataLayer.polled[0]!.source.type, 'dcgm-data-source');
  assert.deepEqual(loaded.dataLayer.polled[0]!.extractors.map((e) => e.type), ['dcgm-extractor']);
  assert.notEqual(loaded.dataLayer.scrape, undefined, 'the default metrics source is still added');
});
