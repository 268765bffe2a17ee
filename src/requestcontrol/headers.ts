/** Header and metadata names of the gateway protocol (GIE / llm-d Router), shared by the director and ext_proc. */

export const HEADER_REQUEST_ID = 'x-request-id';
export const HEADER_OBJECTIVE = 'x-gateway-inference-objective';
export const HEADER_MODEL_REWRITE = 'x-gateway-model-name-rewrite';
/** The chosen endpoint(s), "ip:port" comma list, primary first: a request header and envoy.lb metadata key. */
export const DESTINATION_HEADER = 'x-gateway-destination-endpoint';
