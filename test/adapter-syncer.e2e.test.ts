/**
 * The adapter syncer end to end: a picker (standalone resources file, --adapter-syncer) against simulated vLLM
 * servers on loopback that serve /v1/load_lora_adapter and /v1/unload_lora_adapter with a load time and two
 * adapter slots each. Shifting an InferenceModelRewrite's weights from v1 to v2 loads v2 and unloads v1.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseFlags } from '../src/cli/flags.ts';
import { startPicker } from '../src/runner.ts';
import { LLAMA3_8B_H100 } from '../bench/sim/profile.ts';
import { SimServer } from '../bench/sim/server.ts';
import { resourcesYaml } from './support/picker-fixture.ts';

const config = { ...LLAMA3_8B_H100, modelName: 'base', maxLoras: 2, stepBaseMs: 0.2, prefillTokenMs: 0.0001, decodeRequestMs: 0.0001, queueBaseMs: 0, queueTokenMs: 0 };
const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const sims: SimServer[] = [];
let port = 0;
for (const h of hosts) {
  const s = new SimServer({ config, timeScale: 1, maxAdapters: 2, adapterLoadMs: 20, loraModules: ['other'] });
  port = (await s.listen(port, h)).port;
  sims.push(s);
}
const dir = mkdtempSync(join(tmpdir(), 'epp-syncer-'));
const file = join(dir, 'resources.yaml');
const target = (name: string, w: number) => (w > 0 ? `\n    - {modelRewrite: ${name}, weight: ${w}}` : '');
const rewrite = (w1: number, w2: number) => `---
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferenceModelRewrite
metadata: {name: rollout, namespace: default}
spec:
  poolRef: {group: inference.networking.k8s.io, name: pool}
  rules:
  - matches: [{model: {type: Exact, value: chat}}]
    targets:${target('v1', w1)}${target('v2', w2)}
`;
writeFileSync(file, resourcesYaml(hosts, port, rewrite(100, 0)));
const picker = await startPicker(
  parseFlags(['--resources', file, '--grpc-port=0', '--grpc-health-port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--secure-serving=false', '--refresh-metrics-interval=10ms', '--adapter-syncer', '--adapter-syncer-interval=20ms'], {}),
  pino({ level: 'silent' }),
);
after(async () => {
  await picker.stop();
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const placement = () => sims.map((s) => [...s.adapters.names()].filter((n) => n !== 'other').sort().join('+') || '-');

/** Polls `cond` every 20 ms up to 10 s (the syncer acts on its own timer; nothing to await directly). */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}; placement ${placement().join(' ')}`);
}
const count = (a: string) => sims.filter((s) => s.adapters.has(a)).length;

test('v1 alone: loaded on every server; the untouched adapter stays', async () => {
  await until('v1 everywhere', () => count('v1') === 4);
  assert.equal(count('v2'), 0);
  assert.equal(count('other'), 4, 'an adapter no resource names is not the syncer\'s to unload');
  assert.ok(sims.every((s) => s.adapters.names().length <= 2), 'never past the two slots');
});

test('90/10: v2 on one server; 50/50: on two, v1 down to two; v2 alone: v2 everywhere, v1 unloaded once its traffic is gone', async () => {
  writeFileSync(file, resourcesYaml(hosts, port, rewrite(90, 10)));
  await until('v2 on one server', () => count('v2') === 1);
  writeFileSync(file, resourcesYaml(hosts, port, rewrite(50, 50)));
  await until('v1 on 2 servers and v2 on 2', () => count('v2') >= 2 && count('v1') === 2);
  writeFileSync(file, resourcesYaml(hosts, port, rewrite(0, 100)));
  await until('v2 everywhere, v1 nowhere', () => count('v2') === 4 && count('v1') === 0);
  assert.ok(sims.every((s) => s.adapters.names().length <= 2));
});
