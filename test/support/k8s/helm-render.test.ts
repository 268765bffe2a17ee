/** The Go-template features helm-render.ts adds beyond plain substitution, each against Go's behaviour. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderChart } from './helm-render.ts';

const CHART = { Name: 'c', Version: '0', AppVersion: '0' };
const run = (tpl: string, values: Record<string, unknown> = {}): string => renderChart({ files: { 't.yaml': tpl }, values, chart: CHART })['t.yaml']!;

test('else if chains close with one end', () => {
  const tpl = '{{ if eq .Values.x 1 }}one{{ else if eq .Values.x 2 }}two{{ else }}many{{ end }}';
  assert.deepEqual([1, 2, 3].map((x) => run(tpl, { x })), ['one', 'two', 'many']);
});

test('range binds $v or $k, $v; maps in sorted key order', () => {
  assert.equal(run('{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}', { l: ['a', 'b'] }), '0=a;1=b;');
  assert.equal(run('{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}', { m: { b: 2, a: 1 } }), 'a=1;b=2;');
  assert.equal(run('{{ range $v := .Values.l }}{{ $v }}{{ end }}', { l: ['x', 'y'] }), 'xy');
});

test('$x = v assigns where $x was declared; := in a block shadows', () => {
  assert.equal(run('{{ $a := 1 }}{{ if true }}{{ $a = 2 }}{{ end }}{{ $a }}'), '2');
  assert.equal(run('{{ $a := 1 }}{{ if true }}{{ $a := 2 }}{{ end }}{{ $a }}'), '1');
  assert.throws(() => run('{{ $b = 1 }}'), /undefined variable/);
});

test('dict, list, merge (destination wins), dig (default only for a missing key)', () => {
  assert.equal(run('{{ range $k, $v := merge (dict) .Values.f (dict "v" 1 "w" 2) }}{{ $k }}{{ $v }}{{ end }}', { f: { v: 3 } }), 'v3w2');
  assert.equal(run('{{ dig "a" "b" "d" .Values }}', { a: { b: 'x' } }), 'x');
  assert.equal(run('{{ dig "a" "c" "d" .Values }}', { a: { b: 'x' } }), 'd');
  assert.throws(() => run('{{ dig "a" "b" "d" .Values }}', { a: null }), /not a map/);
  assert.equal(run('{{ first (list 7 8) }}'), '7');
});
