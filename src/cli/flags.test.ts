import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAGS, FlagError, helpText, parseFlags } from './flags.ts';

test('defaults are the upstream ones', () => {
  const f = parseFlags([], {});
  assert.equal(f.grpcPort, 9002);
  assert.equal(f.grpcHealthPort, 9003);
  assert.equal(f.metricsPort, 9090);
  assert.equal(f.secureServing, true);
  assert.equal(f.refreshMetricsIntervalMs, 50);
  assert.equal(f.metricsStalenessThresholdMs, 2000);
  assert.equal(f.poolNamespace, 'default');
  assert.equal(f.poolGroup, 'inference.networking.k8s.io');
});

test('accepts --k=v, --k v, Go-style -k=v and bare booleans', () => {
  const f = parseFlags(['--grpc-port=1234', '--metrics-port', '0', '-v=3', '--secure-serving=false', '--ha-enable-leader-election'], {});
  assert.equal(f.grpcPort, 1234);
  assert.equal(f.metricsPort, 0);
  assert.equal(f.v, 3);
  assert.equal(f.secureServing, false);
  assert.equal(f.haEnableLeaderElection, true);
});

test('pool namespace falls back to env NAMESPACE', () => {
  assert.equal(parseFlags([], { NAMESPACE: 'llm' }).poolNamespace, 'llm');
  assert.equal(parseFlags(['--pool-namespace=x'], { NAMESPACE: 'llm' }).poolNamespace, 'x');
});

test('bad flags fail with the flag named', () => {
  const cases: [string[], RegExp][] = [
    [['--nope'], /unknown flag --nope/],
    [['--grpc-port=abc'], /--grpc-port: expected an integer/],
    [['--secure-serving=maybe'], /--secure-serving: expected true or false/],
    [['--refresh-metrics-interval=fast'], /--refresh-metrics-interval: must be a duration such as "50ms", "1.5s" or "2m30s" or a number of milliseconds, got "fast"/],
    [['--config-file=a', '--config-text=b'], /both the "config-file" and "config-text" flags cannot be set at the same time/],
    [['--endpoint-selector=app=x'], /needs --endpoint-target-ports/],
    [['--endpoint-selector=app=x', '--endpoint-target-ports=1,2,3,4,5,6,7,8,9'], /at most 8/],
    [['--grpc-port'], /needs a value/],
    [['--request-body-mode=chunky'], /--request-body-mode/],
  ];
  for (const [argv, re] of cases) assert.throws(() => parseFlags(argv, {}), (e: unknown) => e instanceof FlagError && re.test(e.message), argv.join(' '));
});

test('pool-less selector and ports parse', () => {
  const f = parseFlags(['--endpoint-selector=app=vllm,tier=a', '--endpoint-target-ports=8000,8001'], {});
  assert.deepEqual(f.endpointSelector, { matchLabels: { app: 'vllm', tier: 'a' }, matchExpressions: [] });
  assert.deepEqual(f.endpointTargetPorts, [8000, 8001]);
});

test('help lists every flag with its default', () => {
  const text = helpText();
  for (const [name, spec] of Object.entries(FLAGS)) {
    const line = text.split('\n').find((l) => l.startsWith(`  --${name}`));
    assert.ok(line, `--${name} listed`);
    assert.ok(line.includes(`(default ${spec.default === '' ? '""' : spec.default})`), `--${name} default shown`);
  }
});

test('durations: Go syntax through the one parser; a bare number stays milliseconds', () => {
  const f = parseFlags(['--refresh-metrics-interval=1.5s', '--metrics-staleness-threshold=250', '--metrics-scrape-timeout=300us', '--shutdown-grace-period=2m30s'], {});
  assert.equal(f.refreshMetricsIntervalMs, 1500);
  assert.equal(f.metricsStalenessThresholdMs, 250);
  assert.equal(f.metricsScrapeTimeoutMs, 0.3);
  assert.equal(f.shutdownGracePeriodMs, 150_000);
  assert.throws(() => parseFlags(['--metrics-staleness-threshold=-1s'], {}), /--metrics-staleness-threshold: must not be negative, got "-1s"/);
  assert.throws(() => parseFlags(['--metrics-scrape-timeout=1h30'], {}), /--metrics-scrape-timeout: must be a duration .*got "1h30" \(missing unit\)/);
});

test('--endpoint-selector: full Kubernetes selector syntax, invalid ones named', () => {
  const ports = ['--endpoint-target-ports=8000'];
  const sel = (s: string) => parseFlags([`--endpoint-selector=${s}`, ...ports], {}).endpointSelector;
  assert.deepEqual(sel('app==vllm'), { matchLabels: { app: 'vllm' }, matchExpressions: [] });
  assert.deepEqual(sel('app=vllm'), sel('app==vllm'));
  assert.deepEqual(sel('tier in (b,a),!canary,zone notin (z1)'), {
    matchLabels: {},
    matchExpressions: [
      { key: 'canary', operator: 'DoesNotExist', values: [] },
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'zone', operator: 'NotIn', values: ['z1'] },
    ],
  });
  assert.equal(parseFlags([], {}).endpointSelector, undefined);
  for (const bad of ['app in (a', 'app=x,', 'bad key=x', 'app=x!']) {
    assert.throws(() => sel(bad), (e: unknown) => e instanceof FlagError && e.message.startsWith('--endpoint-selector: invalid label selector'), bad);
  }
});
