/**
 * Multi-cluster routing through the real picker, in llm-d Router's README shape (router v0.10 README block 2):
 * multicluster-file-discovery lists two peer clusters in a file (one by host name, `localhost`), each serving its
 * pool metrics on a loopback fake at its `metricsAddress`/`metricsPort` labels; multicluster-metrics-data-source
 * polls them, multicluster-metrics-extractor reads llm_d_epp_average_*, and the multicluster scorers send requests
 * to the less loaded peer. A file edit (watchFile) moves the load and the picks follow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseFlags } from '../src/cli/flags.ts';
import { startPicker, type PickerHandle } from '../src/runner.ts';
import { EnvoyDriver, mutatedHeader } from './support/envoy-driver.ts';

/** A peer cluster's EPP /metrics page: its pool averages. */
class PeerMetrics {
  queue = 0;
  kv = 0;
  polls = 0;
  readonly server: Server = createServer((req, res) => {
    this.polls++;
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`# TYPE llm_d_epp_average_queue_size gauge
llm_d_epp_average_queue_size{name="pool",namespace="default"} ${this.queue}
# TYPE llm_d_epp_average_kv_cache_utilization gauge
llm_d_epp_average_kv_cache_utilization{name="pool",namespace="default"} ${this.kv}
`);
  });
  port = 0;
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  /** Resolves after `n` more polls. */
  async polled(n: number): Promise<void> {
    const target = this.polls + n;
    while (this.polls < target) await new Promise((r) => this.server.once('request', () => setImmediate(r)));
  }
}

const CONFIG = (endpointsFile: string) => `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
  - type: multicluster-file-discovery
    name: discovery
    parameters:
      path: ${endpointsFile}
      watchFile: true
  - type: multicluster-metrics-data-source
    name: metrics-source
    parameters:
      scheme: http
      interval: 10ms
  - type: multicluster-metrics-extractor
    name: metrics-extractor
  - type: multicluster-session-affinity-filter
    name: session-affinity
  - type: multicluster-kv-cache-utilization-scorer
    name: kv-cache
  - type: multicluster-queue-scorer
    name: queue
  - type: max-score-picker
  - type: single-profile-handler
dataLayer:
  discovery:
    pluginRef: discovery
  sources:
    - pluginRef: metrics-source
      extractors:
        - pluginRef: metrics-extractor
schedulingProfiles:
  - name: default
    plugins:
      - pluginRef: session-affinity
      - pluginRef: kv-cache
      - pluginRef: queue
      - pluginRef: max-score-picker
`;

describe('multi-cluster routing through the ext_proc stream', () => {
  let dir: string;
  let picker: PickerHandle;
  let envoy: EnvoyDriver;
  const east = new PeerMetrics();
  const west = new PeerMetrics();
  let endpointsFile: string;
  const endpoints = () => `endpoints:
  - name: east
    address: "127.0.0.2"
    port: "8443"
    labels: {metricsAddress: "127.0.0.1", metricsPort: "${east.port}"}
  - name: west
    address: localhost
    port: "9443"
    labels: {metricsAddress: "127.0.0.1", metricsPort: "${west.port}"}
  - name: broken
    address: "not a host!"
    port: "1"
`;

  before(async () => {
    await east.start();
    await west.start();
    dir = mkdtempSync(join(tmpdir(), 'epp-mc-'));
    endpointsFile = join(dir, 'clusters.yaml');
    writeFileSync(endpointsFile, endpoints());
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, CONFIG(endpointsFile));
    const args = ['--config-file', cfg, '--allow-experimental-plugins', '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', '--refresh-metrics-interval=10ms', '--shutdown-grace-period=1s', '--metrics-endpoint-auth=false'];
    picker = await startPicker(parseFlags(args, {}), pino({ level: process.env.EPP_TEST_LOG ?? 'silent' }), undefined, { env: {} });
    envoy = new EnvoyDriver(`127.0.0.1:${picker.grpcPort}`);
  });
  after(async () => {
    envoy.close();
    await picker.stop();
    east.server.close();
    west.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pick = async (headers: Record<string, string> = {}): Promise<string> => {
    const { session, responses } = await envoy.request({ body: { model: 'm', prompt: 'hello', max_tokens: 4 }, headers });
    session.close();
    const dest = mutatedHeader(responses[0]!, 'x-gateway-destination-endpoint');
    assert.ok(dest !== undefined, JSON.stringify(responses[0]));
    return dest;
  };

  test('requests go to the peer with the lower pool load; a load shift moves them', async () => {
    east.queue = 10;
    east.kv = 0.9;
    west.queue = 1;
    west.kv = 0.2;
    await Promise.all([east.polled(2), west.polled(2)]);
    for (let i = 0; i < 5; i++) assert.equal(await pick(), 'localhost:9443');
    west.queue = 20;
    west.kv = 0.95;
    east.queue = 0;
    east.kv = 0.1;
    await Promise.all([east.polled(2), west.polled(2)]);
    for (let i = 0; i < 5; i++) assert.equal(await pick(), '127.0.0.2:8443');
  });

  test('an edit of the endpoints file (watchFile) replaces the peers', async () => {
    writeFileSync(endpointsFile, endpoints().replace('address: "127.0.0.2"', 'address: "127.0.0.3"'));
    const deadline = Date.now() + 10_000;
    let dest = '';
    // The file watcher's debounce and poll decide when the reload lands: wait on picks, bounded.
    while (Date.now() < deadline && (dest = await pick()) !== '127.0.0.3:8443') await east.polled(1);
    assert.equal(dest, '127.0.0.3:8443');
  });
});
