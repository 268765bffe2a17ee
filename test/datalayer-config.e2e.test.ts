/**
 * dataLayer wiring end to end: the metrics-data-source `port` of the config moves the scraping off the
 * serving port, `interval` sets the period (the flag says 10 s, the config 20 ms), `scheme: https` scrapes
 * over TLS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { parseFlags } from '../src/cli/flags.ts';
import { startPicker } from '../src/runner.ts';
import { FakeVllm } from './support/fake-vllm.ts';
import { resourcesYaml } from './support/picker-fixture.ts';

test('metrics-data-source port and interval configure the scraping', { timeout: 20_000 }, async () => {
  const serving = await FakeVllm.start('127.0.0.2', 0);
  const metrics = await FakeVllm.start('127.0.0.2', 0);
  const dir = mkdtempSync(join(tmpdir(), 'epp-dl-'));
  try {
    const resources = join(dir, 'resources.yaml');
    writeFileSync(resources, resourcesYaml([serving.host], serving.port));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: metrics-data-source
  parameters: { port: ${metrics.port}, interval: 20ms }
- type: core-metrics-extractor
dataLayer:
  sources:
  - pluginRef: metrics-data-source
    extractors:
    - pluginRef: core-metrics-extractor
`,
    );
    const flags = parseFlags(
      ['--resources', resources, '--config-file', config, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', '--refresh-metrics-interval=10s'],
      {},
    );
    const picker = await startPicker(flags, pino({ level: 'silent' }));
    try {
      await metrics.scraped(3); // at 10 s per scrape this would time out
      assert.equal(serving.scrapes, 0, 'the serving port is not scraped');
      const ep = picker.datastore.endpoints()[0]!;
      assert.ok(ep.metricsUpdatedAt > 0, 'the scraped page reached the endpoint');
    } finally {
      await picker.stop();
    }
  } finally {
    await serving.close();
    await metrics.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics-data-source scheme https: the page is scraped over TLS, verified against caCertPath', { timeout: 20_000 }, async () => {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'model-server' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.2' }] }],
  });
  const serving = await FakeVllm.start('127.0.0.2', 0);
  let scrapes = 0;
  let reached!: () => void;
  const scrapedTwice = new Promise<void>((resolve) => (reached = resolve));
  const page = createHttpsServer({ cert: pems.cert, key: pems.private }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(serving.page());
    if (++scrapes === 2) reached();
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.2', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'epp-dl-'));
  try {
    const resources = join(dir, 'resources.yaml');
    writeFileSync(resources, resourcesYaml([serving.host], serving.port));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, pems.cert);
    const config = join(dir, 'config.yaml');
    const port = (page.address() as AddressInfo).port;
    writeFileSync(
      config,
      `apiVersion: llm-d.ai/v1alpha1\nkind: EndpointPickerConfig\nplugins:\n- type: metrics-data-source\n  parameters: { scheme: https, port: ${port}, insecureSkipVerify: false, caCertPath: ${ca} }\n`,
    );
    const flags = parseFlags(
      ['--resources', resources, '--config-file', config, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', '--refresh-metrics-interval=20ms'],
      {},
    );
    const picker = await startPicker(flags, pino({ level: 'silent' }));
    try {
      await scrapedTwice;
      assert.ok(picker.datastore.endpoints()[0]!.metricsUpdatedAt > 0, 'the page reached the endpoint');
      assert.equal(serving.scrapes, 0);
    } finally {
      await picker.stop();
    }
  } finally {
    await serving.close();
    page.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
