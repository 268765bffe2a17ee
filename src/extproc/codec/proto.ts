/**
 * Loads the Envoy ext_proc v3 protos from proto/ with @grpc/proto-loader and declares the JS shapes we use.
 * keepCase keeps Envoy's snake_case names; google.protobuf.Struct/Value come from protobufjs' bundled copy,
 * whose JS field names are camelCase (stringValue, structValue, listValue): see shared reference extproc.md §1.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';

// proto/ sits two levels up from src/extproc/, and three from dist/src/extproc/ in a compiled package.
export const PROTO_DIR = [new URL('../../../proto/', import.meta.url), new URL('../../../../proto/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((dir) => existsSync(`${dir}/envoy`)) ?? fileURLToPath(new URL('../../proto/', import.meta.url));
export const EXT_PROC_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';
export const EXT_PROC_SERVICE_NAME = 'envoy.service.ext_proc.v3.ExternalProcessor';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let cached: grpc.GrpcObject | undefined;

/** The loaded package tree (cached: loading parses every .proto file). */
export function loadExtProcPackage(): grpc.GrpcObject {
  cached ??= grpc.loadPackageDefinition(protoLoader.loadSync(EXT_PROC_PROTO, LOADER_OPTIONS));
  return cached;
}

/** The ExternalProcessor service definition (for Server.addService and client constructors). */
export function extProcService(): grpc.ServiceDefinition {
  return extProcClientConstructor().service;
}

export function extProcClientConstructor(): grpc.ServiceClientConstructor {
  const pkg = loadExtProcPackage() as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
  };
  return pkg.envoy.service.ext_proc.v3.ExternalProcessor;
}

// ---- JS shapes of the messages (proto-loader object form) ----

export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer | Uint8Array;
}
export interface HeaderMap {
  headers?: HeaderValue[];
}
export interface HttpHeaders {
  headers?: HeaderMap;
  end_of_stream?: boolean;
}
export interface HttpBody {
  body?: Buffer;
  end_of_stream?: boolean;
}
export interface HttpTrailers {
  trailers?: HeaderMap;
}

/** google.protobuf.Value as protobufjs' bundled type names its fields. */
export interface PbValue {
  nullValue?: string | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: PbStruct;
  listValue?: { values?: PbValue[] };
}
export interface PbStruct {
  fields?: Record<string, PbValue>;
}

export type BodySendMode = 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL' | 'FULL_DUPLEX_STREAMED' | 'GRPC';

export interface ProcessingRequest {
  request?: 'request_headers' | 'response_headers' | 'request_body' | 'response_body' | 'request_trailers' | 'response_trailers';
  request_headers?: HttpHeaders;
  response_headers?: HttpHeaders;
  request_body?: HttpBody;
  response_body?: HttpBody;
  request_trailers?: HttpTrailers;
  response_trailers?: HttpTrailers;
  metadata_context?: { filter_metadata?: Record<string, PbStruct> };
  observability_mode?: boolean;
  protocol_config?: {
    request_body_mode?: BodySendMode;
    response_body_mode?: BodySendMode;
    send_body_without_waiting_for_header_response?: boolean;
  };
}

export interface HeaderValueOption {
  header: HeaderValue;
  append_action?: string;
}
export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}
export interface StreamedBodyResponse {
  body: Buffer;
  end_of_stream: boolean;
}
export interface CommonResponse {
  status?: string;
  header_mutation?: HeaderMutation;
  body_mutation?: { body?: Buffer; clear_body?: boolean; streamed_response?: StreamedBodyResponse };
  clear_route_cache?: boolean;
}
export interface ImmediateResponse {
  status: { code: number | string };
  headers?: HeaderMutation;
  body?: Buffer;
  details?: string;
}

export interface ProcessingResponse {
  request_headers?: { response?: CommonResponse };
  response_headers?: { response?: CommonResponse };
  request_body?: { response?: CommonResponse };
  response_body?: { response?: CommonResponse };
  request_trailers?: { header_mutation?: HeaderMutation };
  response_trailers?: { header_mutation?: HeaderMutation };
  immediate_response?: ImmediateResponse;
  dynamic_metadata?: PbStruct;
}
