/**
 * --tracing without an exporter loads no OpenTelemetry SDK module (the default process pays nothing for it).
 * `@opentelemetry/api` alone is loaded anyway: prom-client imports it (processCpuTotal.js) for exemplars.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { spawnChild } from './support/child.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) { if (spec.startsWith('@opentelemetry/') && spec !== '@opentelemetry/api') seen.add(spec); return next(spec, ctx); } });
await import('./src/runner.ts');
const { startTracing } = await import('./src/observability/tracing.ts');
const pino = (await import('pino')).default;
const t = await startTracing(true, JSON.parse(process.argv[1]), pino({ level: 'silent' }));
console.log(JSON.stringify({ on: t !== null, seen: [...seen] }));
await t?.shutdown();
`;

for (const [env, on] of [[{}, false], [{ OTEL_TRACES_EXPORTER: 'console' }, true]] as const) {
  test(`tracing with env ${JSON.stringify(env)}: SDK ${on ? 'loaded' : 'never loaded'}`, async (t) => {
    const p = spawnChild(t, process.execPath, ['--input-type=module', '-e', PROBE, JSON.stringify(env)], { cwd: ROOT, name: 'probe' });
    const out = JSON.parse(await p.line(/"seen"/)) as { on: boolean; seen: string[] };
    assert.equal(await p.exit, 0);
    assert.equal(out.on, on);
    if (on) assert.ok(out.seen.includes('@opentelemetry/sdk-trace'), out.seen.join());
    else assert.deepEqual(out.seen, []);
  });
}
