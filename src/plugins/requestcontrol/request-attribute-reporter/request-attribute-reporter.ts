/**
 * request-attribute-reporter: computes one integer from the response's token usage with a CEL expression (and an
 * optional CEL condition) and reports it to the proxy as dynamic metadata `namespace` (default `envoy.lb`) ->
 * `name` -> number. `usage` holds `prompt_tokens`, `completion_tokens`, `total_tokens` (always, 0 when the body
 * reported none, as upstream's Usage struct) and `prompt_tokens_details.cached_tokens` when reported.
 *
 * Upstream runs it as a ResponseBody hook on the last body chunk, so the metadata rides on the final ext_proc
 * response. Here it is a ResponseComplete hook writing LLMResponse.dynamicMetadata (usage is parsed at
 * completion); the ext_proc stream must send that metadata with its last response message.
 */
import type { PluginHandle } from '../../../framework/plugin.ts';
import { PluginConfigError } from '../../../framework/plugin.ts';
import type { Endpoint } from '../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../framework/request.ts';
import type { LLMResponse, ResponseComplete } from '../../../framework/requestcontrol.ts';
import type { Logger } from 'pino';
import { asList, asMap, child, FieldError, onlyFields, optString } from '../../../input/fields.ts';
import { read, readParams } from '../../../input/plugin-params.ts';
import { CelError, compileCel, type CelProgram, type CelValue } from './cel.ts';

export const REQUEST_ATTRIBUTE_REPORTER_TYPE = 'request-attribute-reporter';
export const DEFAULT_METADATA_NAMESPACE = 'envoy.lb';

export interface ReportedAttribute {
  readonly namespace: string;
  readonly name: string;
  readonly expression: string;
  readonly condition: string;
}

export class RequestAttributeReporter implements ResponseComplete {
  readonly type = REQUEST_ATTRIBUTE_REPORTER_TYPE;
  readonly name: string;
  readonly attribute: ReportedAttribute;
  readonly #expression: CelProgram;
  readonly #condition: CelProgram | null;
  readonly #logger: Logger;

  constructor(name: string, attribute: ReportedAttribute, logger: Logger) {
    this.name = name;
    this.attribute = attribute;
    this.#expression = compileCel(attribute.expression, ['usage']);
    this.#condition = attribute.condition === '' ? null : compileCel(attribute.condition, ['usage']);
    this.#logger = logger;
  }

  /** The value to report for `response`, or null when nothing is reported (condition false, error, 0). */
  value(response: LLMResponse): number | null {
    const vars = { usage: usageOf(response) };
    try {
      if (this.#condition !== null && this.#condition(vars) !== true) return null; // false or not a boolean
      const v = this.#expression(vars);
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        this.#logger.error({ plugin: this.name, expression: this.attribute.expression }, 'expression result is not a number');
        return null;
      }
      const n = Math.trunc(v);
      return n === 0 ? null : n; // upstream skips zero values
    } catch (err) {
      if (!(err instanceof CelError)) throw err;
      this.#logger.error({ plugin: this.name, err: err.message }, 'failed to evaluate CEL');
      return null;
    }
  }

  responseComplete(_request: LLMRequest, response: LLMResponse, _endpoint: Endpoint): void {
    const v = this.value(response);
    if (v !== null) response.setDynamicMetadata(this.attribute.namespace, this.attribute.name, v);
  }
}

/** Upstream marshals its Usage struct: the three counts always present, the details only when reported. */
function usageOf(r: LLMResponse): CelValue {
  const prompt = Math.max(0, r.promptTokens);
  const completion = Math.max(0, r.completionTokens);
  const usage: Record<string, CelValue> = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (r.cachedTokens >= 0) usage.prompt_tokens_details = { cached_tokens: r.cachedTokens };
  return usage;
}

export function createRequestAttributeReporter(name: string, params: unknown, handle: PluginHandle): RequestAttributeReporter {
  const p = readParams(name, params, ['attributes']);
  const attribute = read(name, () => {
    const list = asList(p.attributes, 'attributes');
    if (list.length !== 1) throw new FieldError('attributes', 'attributes must contain exactly one entry');
    const path = child('attributes', 0);
    const a = asMap(list[0], path);
    onlyFields(a, path, ['key', 'expression', 'condition']);
    const keyPath = child(path, 'key');
    const key = asMap(a.key, keyPath);
    onlyFields(key, keyPath, ['namespace', 'name']);
    const keyName = optString(key, 'name', keyPath, Infinity, 0) ?? '';
    if (keyName === '') throw new FieldError(child(keyPath, 'name'), 'attributeKey.name cannot be empty');
    const expression = optString(a, 'expression', path, Infinity, 0) ?? '';
    if (expression === '') throw new FieldError(child(path, 'expression'), 'attributes[0].expression cannot be empty');
    return {
      namespace: optString(key, 'namespace', keyPath, Infinity, 0) || DEFAULT_METADATA_NAMESPACE,
      name: keyName,
      expression,
      condition: optString(a, 'condition', path, Infinity, 0) ?? '',
    };
  });
  try {
    return new RequestAttributeReporter(name, attribute, handle.logger);
  } catch (err) {
    if (err instanceof CelError) throw new PluginConfigError(name, 'attributes[0]', `failed to compile CEL: ${err.message}`);
    throw err;
  }
}
