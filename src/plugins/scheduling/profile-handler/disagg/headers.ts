/**
 * The disaggregation headers (upstream disagg HeadersHandler): the decode pod's sidecar reads the prefill server
 * in x-prefiller-host-port and the encoders in x-encoder-hosts-ports; disagg-headers-handler and
 * prefill-header-handler set only these, for configs that pair them with another profile handler.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest } from '../../../../framework/requestcontrol.ts';
import type { ProfileResults, SchedulingResult } from '../../../../framework/scheduling.ts';
import { readParams, stringParam } from '../../../../input/plugin-params.ts';

export const DISAGG_HEADERS_HANDLER_TYPE = 'disagg-headers-handler';
export const PREFILL_HEADER_HANDLER_TYPE = 'prefill-header-handler';

/** The decode pod's sidecar calls this prefill server first (upstream routing.PrefillEndpointHeader). */
export const PREFILL_ENDPOINT_HEADER = 'x-prefiller-host-port';
/** Encode servers, comma-separated host:port (upstream routing.EncoderEndpointsHeader). */
export const ENCODER_ENDPOINTS_HEADER = 'x-encoder-hosts-ports';

/** The first endpoint a profile picked; null when it picked none or did not run. */
export function firstOf(results: ProfileResults, name: string): Endpoint | null {
  const r = results.get(name);
  return r !== undefined && r !== null && r.count > 0 ? r.endpoints[0]! : null;
}

/** Sets x-prefiller-host-port / x-encoder-hosts-ports from a scheduling result (upstream HeadersHandler). */
export function setDisaggHeaders(request: LLMRequest, result: SchedulingResult, prefillProfile: string, encodeProfile: string): void {
  const out = request.outHeaders;
  if (out !== null) {
    out.delete(PREFILL_ENDPOINT_HEADER);
    out.delete(ENCODER_ENDPOINTS_HEADER);
  }
  const prefill = firstOf(result.profileResults, prefillProfile);
  const encode = result.profileResults.get(encodeProfile);
  if (prefill === null && (encode === undefined || encode === null || encode.count === 0)) return;
  const headers = request.outHeaders ?? (request.outHeaders = new Map());
  if (prefill !== null) headers.set(PREFILL_ENDPOINT_HEADER, prefill.key);
  if (encode !== undefined && encode !== null && encode.count > 0) {
    let v = encode.endpoints[0]!.key;
    for (let i = 1; i < encode.count; i++) v += `,${encode.endpoints[i]!.key}`;
    headers.set(ENCODER_ENDPOINTS_HEADER, v);
  }
}

/** disagg-headers-handler / prefill-header-handler (upstream HeadersHandler): only the headers. */
export class DisaggHeadersHandler implements PreRequest {
  readonly type: string;
  readonly name: string;
  readonly prefillProfile: string;
  readonly encodeProfile: string;
  constructor(type: string, name: string, prefillProfile: string, encodeProfile: string) {
    this.type = type;
    this.name = name;
    this.prefillProfile = prefillProfile;
    this.encodeProfile = encodeProfile;
  }
  preRequest(request: LLMRequest, result: SchedulingResult): void {
    setDisaggHeaders(request, result, this.prefillProfile, this.encodeProfile);
  }
}

function headersFactory(type: string) {
  return (name: string, params: unknown, _handle: PluginHandle): DisaggHeadersHandler => {
    const p = readParams(name, params, ['prefillProfile', 'encodeProfile']);
    return new DisaggHeadersHandler(type, name, stringParam(name, p, 'prefillProfile', 'prefill'), stringParam(name, p, 'encodeProfile', 'encode'));
  };
}
export const createDisaggHeadersHandler = headersFactory(DISAGG_HEADERS_HANDLER_TYPE);
export const createPrefillHeaderHandler = headersFactory(PREFILL_HEADER_HANDLER_TYPE);
