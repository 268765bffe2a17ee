/**
 * A real picker (startPicker) in-process on free ports, against fake vLLM servers on 127.0.0.2.. sharing
 * one port as pods in a cluster do, described by a resources file in a temp directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Clock } from '../../src/framework/clock.ts';
import { parseFlags } from '../../src/cli/flags.ts';
import { startPicker, type PickerHandle, type StartOptions } from '../../src/runner.ts';
import { EnvoyDriver } from './envoy-driver.ts';
import { FakeVllm } from './fake-vllm.ts';

export interface Fixture {
  picker: PickerHandle;
  servers: FakeVllm[];
  envoy: EnvoyDriver;
  dir: string;
  resourcesFile: string;
  port: number;
  /** Resolves once every server has been scraped twice more (the picker has seen the current load). */
  synced(): Promise<void>;
  writeResources(text: string): void;
  close(): Promise<void>;
}

export function resourcesYaml(hosts: string[], port: number, extra = '', podLabels: readonly Record<string, string>[] = []): string {
  const pods = hosts
    .map(
      (ip, i) => `---
apiVersion: v1
kind: Pod
metadata: {name: vllm-${i}, namespace: default, labels: {app: vllm${Object.entries(podLabels[i] ?? {}).map(([k, v]) => `, "${k}": "${v}"`).join('')}}}
status:
  podIP: ${ip}
  conditions: [{type: Ready, status: "True"}]
`,
    )
    .join('');
  return `apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: pool, namespace: default}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: ${port}}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
${pods}${extra}`;
}

export async function startFixture(
  opts: { servers?: number; extraResources?: string; config?: string; flags?: string[]; clock?: Clock; start?: StartOptions; podLabels?: readonly Record<string, string>[] } = {},
): Promise<Fixture> {
  const n = opts.servers ?? 3;
  const first = await FakeVllm.start('127.0.0.2', 0);
  const port = first.port;
  const servers = [first];
  for (let i = 1; i < n; i++) servers.push(await FakeVllm.start(`127.0.0.${2 + i}`, port));
  const dir = mkdtempSync(join(tmpdir(), 'epp-test-'));
  const resourcesFile = join(dir, 'resources.yaml');
  writeFileSync(resourcesFile, resourcesYaml(servers.map((s) => s.host), port, opts.extraResources, opts.podLabels));
  const args = ['--resources', resourcesFile, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', '--refresh-metrics-interval=10ms', '--shutdown-grace-period=2s', ...(opts.flags ?? [])];
  if (opts.config) {
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, opts.config);
    args.push('--config-file', cfg);
  }
  const picker = await startPicker(parseFlags(args, {}), pino({ level: process.env.EPP_TEST_LOG ?? 'silent' }), opts.clock, { env: {}, ...opts.start });
  const envoy = new EnvoyDriver(`127.0.0.1:${picker.grpcPort}`);
  const fx: Fixture = {
    picker,
    servers,
    envoy,
    dir,
    resourcesFile,
    port,
    synced: () => Promise.all(servers.map((s) => s.scraped(2))).then(() => undefined),
    writeResources: (text) => writeFileSync(resourcesFile, text),
    close: async () => {
      envoy.close();
      await picker.stop();
      await Promise.all(servers.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await fx.synced();
  return fx;
}
