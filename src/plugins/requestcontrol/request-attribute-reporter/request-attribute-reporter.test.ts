/**
 * request-attribute-reporter. Cases from upstream llm-d-router
 * `pkg/epp/framework/plugins/requestcontrol/requestattributereporter/plugin_test.go` (mirror commit ebab68792):
 * config validation and ResponseBody results, with our LLMResponse token fields standing in for upstream's Usage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginConfigError } from '../../../framework/plugin.ts';
import { LLMResponse } from '../../../framework/requestcontrol.ts';
import { makeEndpoint, makeRequest, testHandle } from '../../../../test/support/scheduling/testing.ts';
import { compileCel } from './cel.ts';
import { createRequestAttributeReporter } from './request-attribute-reporter.ts';

const attr = (key: Record<string, string>, expression: string, condition?: string) => ({
  attributes: [{ key, expression, ...(condition === undefined ? {} : { condition }) }],
});

const configCases: { name: string; params: unknown; ok: boolean }[] = [
  { name: 'default namespace', params: attr({ name: 'x-gateway-inference-request-cost' }, 'usage.prompt_tokens + usage.completion_tokens'), ok: true },
  { name: 'custom namespace', params: attr({ namespace: 'my.ns', name: 'cost' }, 'usage.prompt_tokens'), ok: true },
  { name: 'missing name', params: attr({}, 'usage.prompt_tokens'), ok: false },
  { name: 'missing expression', params: { attributes: [{ key: { name: 'a' } }] }, ok: false },
  { name: 'invalid expression syntax', params: attr({ name: 'a' }, 'usage.prompt_tokens + -'), ok: false },
  { name: 'invalid condition syntax', params: attr({ name: 'a' }, 'usage.prompt_tokens', 'usage.prompt_tokens > '), ok: false },
  { name: 'undeclared variable', params: attr({ name: 'a' }, 'request.size'), ok: false },
  { name: 'empty attributes', params: { attributes: [] }, ok: false },
  {
    name: 'two attributes',
    params: { attributes: [attr({ name: 'a' }, 'usage.prompt_tokens').attributes[0], attr({ name: 'b' }, 'usage.prompt_tokens').attributes[0]] },
    ok: false,
  },
  { name: 'no parameters', params: undefined, ok: false },
];
for (const c of configCases) {
  test(`request-attribute-reporter config: ${c.name}`, () => {
    if (c.ok) assert.doesNotThrow(() => createRequestAttributeReporter('r', c.params, testHandle()));
    else assert.throws(() => createRequestAttributeReporter('r', c.params, testHandle()), PluginConfigError);
  });
}

const TOTAL = '(has(usage.prompt_tokens) ? usage.prompt_tokens : 0) + (has(usage.completion_tokens) ? usage.completion_tokens : 0)';

const cases: {
  name: string;
  expression: string;
  condition?: string;
  namespace?: string;
  usage: { prompt?: number; completion?: number; cached?: number };
  want: number | null;
}[] = [
  { name: 'usage expression', expression: 'usage.prompt_tokens', usage: { prompt: 15 }, want: 15 },
  { name: 'zero value is not reported', expression: 'usage.prompt_tokens', condition: 'has(usage.prompt_tokens)', usage: { prompt: 0 }, want: null },
  { name: 'condition not met', expression: 'usage.prompt_tokens', condition: 'usage.completion_tokens > 0', usage: { prompt: 10 }, want: null },
  { name: 'condition not a boolean', expression: 'usage.prompt_tokens', condition: 'usage.prompt_tokens', usage: { prompt: 10 }, want: null },
  { name: 'expression not numeric', expression: "'not a number'", usage: { prompt: 10 }, want: null },
  { name: 'missing field without has()', expression: 'usage.non_existent_field', usage: { prompt: 10 }, want: null },
  { name: 'no usage reported: guarded sum is 0', expression: TOTAL, usage: {}, want: null },
  { name: 'partial usage with has() guards', expression: TOTAL, usage: { completion: 25 }, want: 25 },
  { name: 'total_tokens', expression: 'usage.total_tokens', usage: { prompt: 7, completion: 5 }, want: 12 },
  { name: 'cached tokens when reported', expression: 'usage.prompt_tokens_details.cached_tokens', condition: 'has(usage.prompt_tokens_details)', usage: { prompt: 9, cached: 4 }, want: 4 },
  { name: 'no cached tokens: details absent', expression: '1', condition: 'has(usage.prompt_tokens_details)', usage: { prompt: 9 }, want: null },
  { name: 'fractions truncate to an integer', expression: 'usage.prompt_tokens / 4', usage: { prompt: 10 }, want: 2 },
  { name: 'custom namespace', namespace: 'billing', expression: 'usage.prompt_tokens * 2', usage: { prompt: 3 }, want: 6 },
];
for (const c of cases) {
  test(`request-attribute-reporter: ${c.name}`, () => {
    const key: Record<string, string> = c.namespace ? { namespace: c.namespace, name: 'cost' } : { name: 'cost' };
    const r = createRequestAttributeReporter('r', attr(key, c.expression, c.condition), testHandle());
    const res = new LLMResponse();
    res.promptTokens = c.usage.prompt ?? -1;
    res.completionTokens = c.usage.completion ?? -1;
    res.cachedTokens = c.usage.cached ?? -1;
    r.responseComplete(makeRequest(), res, makeEndpoint(0));
    if (c.want === null) assert.equal(res.dynamicMetadata, null);
    else assert.equal(res.dynamicMetadata?.get(c.namespace ?? 'envoy.lb')?.get('cost'), c.want);
  });
}

const celCases: [string, unknown][] = [
  ['1 + 2 * 3', 7],
  ['(1 + 2) * 3', 9],
  ['10 % 4 - 1', 1],
  ['-usage.a + 1', -1],
  ['usage.a > 1 || usage.a == 2', true],
  ['!(usage.a < 3) && true', false],
  ['usage.a >= 2 ? "yes" : "no"', 'yes'],
  ["'a' + 'b'", 'ab'],
  ['has(usage.b.c)', true],
  ['has(usage.b.d)', false],
  ['usage.b.c != null', true],
];
for (const [src, want] of celCases) {
  test(`cel subset: ${src}`, () => {
    assert.equal(compileCel(src, ['usage'])({ usage: { a: 2, b: { c: 1 } } }), want);
  });
}
