/**
 * Every upstream flag and every argument list the upstream Helm charts render (test/data/upstream/flags,
 * copied from the upstream artifacts with their sources): each parses, or fails exactly where upstream fails,
 * with upstream's message.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FLAGS, FlagError, flagStatus, parseFlags, type FlagName } from '../src/cli/flags.ts';
import { spawnChild } from './support/child.ts';

interface Case {
  id: string;
  args: string[];
  note?: string;
}
const data = JSON.parse(readFileSync(new URL('./data/upstream/flags/cases.json', import.meta.url), 'utf8')) as { single: Case[]; charts: Case[] };
const BIN = fileURLToPath(new URL('../bin/epp.js', import.meta.url));

const deprecated = (name: string) => `flag "${name}" is deprecated and cannot be used; configure metrics via engineConfigs in EndpointPickerConfig instead`;

/** Upstream's outcome where it is not "starts"; `notYet` = upstream starts, ours says "not supported yet". */
const SINGLE_EXPECT: Record<string, { fails: string } | { notYet: true }> = {
  'flag --total-queued-requests-metric': { fails: deprecated('total-queued-requests-metric') },
  'flag --total-running-requests-metric': { fails: deprecated('total-running-requests-metric') },
  'flag --kv-cache-usage-percentage-metric': { fails: deprecated('kv-cache-usage-percentage-metric') },
  'flag --lora-info-metric': { fails: deprecated('lora-info-metric') },
  'flag --cache-info-metric': { fails: deprecated('cache-info-metric') },
};
const CHART_EXPECT: Record<string, string | null> = {
  'chart gie-v1.0.0 default args': null,
  'chart gie-v1.5.0 default args (vllm)': null,
  'chart gie-v1.5.0 args, modelServerType sglang': deprecated('total-queued-requests-metric'),
  'chart gie-v1.5.0 args, modelServerType triton-tensorrt-llm': deprecated('total-queued-requests-metric'),
  'chart llm-d-router default args': null,
  'llm-d guide inference-scheduling flags': deprecated('kv-cache-usage-percentage-metric'),
};

function fill(args: string[]): string[] {
  return args.map((a) => a.replace('{{POOL}}', 'pool').replace('{{NS}}', 'ns').replace('{{CONFIG}}', '/config/default-plugins.yaml').replace('{{HEALTH}}', '9003'));
}

function outcome(argv: string[]): { ok: true } | { ok: false; message: string; exitCode: number } {
  try {
    parseFlags(argv, {});
    return { ok: true };
  } catch (e) {
    if (e instanceof FlagError) return { ok: false, message: e.message, exitCode: e.exitCode };
    throw e;
  }
}

test('every upstream flag at its upstream value: accepted, or failing as upstream does', () => {
  assert.ok(data.single.length >= 37);
  for (const c of data.single) {
    const name = c.id.replace(/^flag --/, '');
    if (!(name in FLAGS)) {
      assert.equal(name, 'emit-endpoint-scores', `--${name} is accepted`); // added by its own change
      continue;
    }
    const want = SINGLE_EXPECT[c.id];
    const got = outcome(c.args);
    if (!want) assert.deepEqual(got, { ok: true }, c.id);
    else if ('fails' in want) assert.deepEqual(got, { ok: false, message: want.fails, exitCode: 1 }, c.id);
    else assert.ok(!got.ok && /is not supported yet$/.test(got.message) && got.exitCode === 1, c.id);
  }
});

test('every chart argument list starts or fails as upstream does', () => {
  for (const c of data.charts) {
    assert.ok(c.id in CHART_EXPECT, `${c.id} has an expected outcome`);
    const want = CHART_EXPECT[c.id];
    const got = outcome(fill(c.args));
    assert.deepEqual(got, want === null ? { ok: true } : { ok: false, message: want, exitCode: 1 }, c.id);
  }
  const f = parseFlags(fill(data.charts.find((c) => c.id === 'chart gie-v1.5.0 default args (vllm)')!.args), {});
  assert.equal(f.poolName, 'pool');
  assert.equal(f.tracing, false);
  assert.equal(f.v, 1);
  assert.equal(f.log.encoder, 'json');
});

test('the process exits 1 with upstream message for a chart list upstream rejects', async (t: TestContext) => {
  const chart = data.charts.find((c) => c.id === 'llm-d guide inference-scheduling flags')!;
  const p = spawnChild(t, process.execPath, [BIN, ...fill(chart.args)], { name: 'epp' });
  assert.equal(await p.exit, 1);
  assert.match(p.stderr(), new RegExp(deprecated('kv-cache-usage-percentage-metric').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});

test('TLS and metrics-access flags: accepted values, upstream rules and messages', () => {
  const ok: string[][] = [
    ['--enable-cert-reload'],
    ['--metrics-endpoint-auth=false'],
    ['--tls-min-version=VersionTLS13'],
    ['--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256'],
    ['--metrics-cert-dir=/certs'],
    ['--metrics-cert-dir=/certs', '--metrics-client-ca-file=/ca.pem', '--metrics-endpoint-auth=false'],
    ['--model-server-metrics-scheme=http'],
  ];
  for (const argv of ok) assert.deepEqual(outcome(argv), { ok: true }, argv.join(' '));
  const f = parseFlags(['--tls-min-version=VersionTLS13', '--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', '--enable-cert-reload'], {});
  assert.equal(f.tlsMinVersion, 'TLSv1.3');
  assert.match(f.tlsCiphers ?? '', /^ECDHE-ECDSA-AES256-GCM-SHA384:TLS_AES_256_GCM_SHA384/);
  assert.equal(f.enableCertReload, true);
  assert.equal(parseFlags([], {}).metricsEndpointAuth, true, 'upstream default');
  assert.equal(parseFlags([], {}).metricsEndpointAuthSet, false);
  const fails: [string[], string, number][] = [
    [['--tls-min-version=TLS9'], '--tls-min-version: expected VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13, got "TLS9"', 2],
    [['--tls-cipher-suites=TLS_NOPE'], 'invalid tls-cipher-suites: unknown cipher suite "TLS_NOPE"', 1],
    [['--metrics-client-ca-file=/ca.pem'], '"metrics-client-ca-file" requires "metrics-cert-dir"', 1],
    [['--metrics-cert-dir=/certs', '--metrics-endpoint-auth=false'], '"metrics-cert-dir" enables metrics TLS without authentication; set "metrics-client-ca-file" or "metrics-endpoint-auth"', 1],
    [['--model-server-metrics-scheme=ftp'], `unexpected "ftp" value for "model-server-metrics-scheme" flag, it can only be set to 'http' or 'https'`, 1],
  ];
  for (const [argv, message, exitCode] of fails) assert.deepEqual(outcome(argv), { ok: false, message, exitCode }, argv.join(' '));
  const notYet = outcome(['--model-server-metrics-scheme=https']);
  assert.ok(!notYet.ok && /is not supported yet$/.test(notYet.message));
});

test('upstream value readers: sizes, drain timeout, zap flags', () => {
  const sizes: [string, number | RegExp][] = [
    ['10MiB', 10 * 2 ** 20],
    ['25MB', 25e6],
    ['4096', 4096],
    ['1Gi', 2 ** 30],
    ['1e6', 1e6],
    ['ten', /quantities must match the regular expression/],
    ['1.5', /overflows maximum supported size/],
  ];
  for (const [s, want] of sizes) {
    if (typeof want === 'number') assert.equal(parseFlags([`--grpc-max-recv-msg-size=${s}`], {}).grpcMaxRecvMsgSize, want, s);
    else assert.throws(() => parseFlags([`--grpc-max-send-msg-size=${s}`], {}), want, s);
  }
  assert.equal(parseFlags([], {}).drainTimeoutMs, 30_000);
  assert.equal(parseFlags(['--drain-timeout=0'], {}).drainTimeoutMs, 0);
  assert.equal(parseFlags(['--drain-timeout', '1m30s'], {}).drainTimeoutMs, 90_000);
  assert.throws(() => parseFlags(['--drain-timeout=30'], {}), /--drain-timeout: must be a duration/); // Go has no bare numbers

  const log = (argv: string[]) => parseFlags(argv, {}).log;
  assert.deepEqual(log([]), { encoder: 'json', level: { verbosity: 0 }, stacktraceLevel: 'error', timeEncoding: 'default' });
  assert.deepEqual(log(['--v=3']).level, { verbosity: 3 });
  assert.deepEqual(log(['--v=3', '--zap-log-level=error']).level, { named: 'error' });
  assert.deepEqual(log(['--zap-log-level=5']).level, { verbosity: 5 });
  assert.deepEqual(log(['--zap-devel']), { encoder: 'console', level: { named: 'debug' }, stacktraceLevel: 'warn', timeEncoding: 'default' });
  assert.deepEqual(log(['--zap-devel', '--zap-encoder=json']).encoder, 'json');
  assert.equal(log(['--zap-time-encoding=rfc3339']).timeEncoding, 'rfc3339');
  assert.throws(() => parseFlags(['--zap-encoder=xml'], {}), /--zap-encoder: expected json, console/);
  assert.throws(() => parseFlags(['--zap-log-level=loud'], {}), /--zap-log-level/);
});

test('each flag says what it does here', () => {
  const rejected = (Object.keys(FLAGS) as FlagName[]).filter((n) => flagStatus(n) === 'rejected');
  assert.deepEqual(rejected.sort(), ['cache-info-metric', 'kv-cache-usage-percentage-metric', 'lora-info-metric', 'total-queued-requests-metric', 'total-running-requests-metric']);
});
