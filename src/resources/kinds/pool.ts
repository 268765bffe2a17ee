/**
 * InferencePool in its two shapes: v1 (`inference.networking.k8s.io`, selector.matchLabels + targetPorts[])
 * and the legacy v1alpha2 (`inference.networking.x-k8s.io`, a flat selector + one targetPortNumber).
 */
import type { FailureMode, PoolSpec } from '../../datastore/resources.ts';
import { asList, asMap, child, FieldError, onlyFields, optEnum, optInt, optMap, optString, reqInt, reqString, type RawMap } from '../../input/fields.ts';
import { readLabelMap, readLabelSelector } from '../../input/label-selector.ts';
import { GROUP, X_GROUP, type ObjectMeta } from './common.ts';

export const POOL_V1 = `${GROUP}/v1`;
export const POOL_V1ALPHA2 = `${X_GROUP}/v1alpha2`;

const APP_PROTOCOLS = ['http', 'kubernetes.io/h2c'] as const;
const FAILURE_MODES: readonly FailureMode[] = ['FailOpen', 'FailClose'];
const MAX_PORTS = 8;
const MAX_SELECTOR_LABELS = 64;

export function parsePool(obj: RawMap, meta: ObjectMeta, apiVersion: string): PoolSpec {
  const spec = asMap(obj.spec, 'spec');
  return apiVersion === POOL_V1 ? parseV1(spec, meta) : parseV1alpha2(spec, meta);
}

function parseV1(spec: RawMap, meta: ObjectMeta): PoolSpec {
  onlyFields(spec, 'spec', ['selector', 'targetPorts', 'appProtocol', 'endpointPickerRef']);
  // v1 InferencePool's LabelSelector has matchLabels only (no matchExpressions), 1-64 of them.
  const { matchLabels } = readLabelSelector(spec.selector, 'spec.selector', { expressions: false, minLabels: 1, maxLabels: MAX_SELECTOR_LABELS });

  const ports = asList(spec.targetPorts, 'spec.targetPorts', 1, MAX_PORTS);
  const targetPorts: number[] = [];
  for (let i = 0; i < ports.length; i++) {
    const p = child('spec.targetPorts', i);
    const port = asMap(ports[i], p);
    onlyFields(port, p, ['number']);
    const n = reqInt(port, 'number', p, 1, 65535);
    if (targetPorts.includes(n)) throw new FieldError(child(p, 'number'), `duplicate port ${n}`);
    targetPorts.push(n);
  }

  const ref = optMap(spec.endpointPickerRef, 'spec.endpointPickerRef');
  return {
    name: meta.name,
    namespace: meta.namespace,
    group: GROUP,
    selector: matchLabels,
    targetPorts,
    appProtocol: optEnum(spec, 'appProtocol', 'spec', APP_PROTOCOLS) ?? 'http',
    failureMode: ref ? parsePickerRef(ref, 'spec.endpointPickerRef') : 'FailClose',
  };
}

/** v1 `endpointPickerRef`: {group?, kind? (Service), name, port.number (required for a Service), failureMode?}. */
function parsePickerRef(ref: RawMap, path: string): FailureMode {
  onlyFields(ref, path, ['group', 'kind', 'name', 'port', 'failureMode']);
  optString(ref, 'group', path, 253, 0);
  const kind = optString(ref, 'kind', path, 63) ?? 'Service';
  reqString(ref, 'name', path, 253);
  const portPath = child(path, 'port');
  const port = optMap(ref.port, portPath);
  if (port) {
    onlyFields(port, portPath, ['number']);
    reqInt(port, 'number', portPath, 1, 65535);
  } else if (kind === 'Service') {
    throw new FieldError(portPath, 'required when kind is Service');
  }
  return optEnum(ref, 'failureMode', path, FAILURE_MODES) ?? 'FailClose';
}

function parseV1alpha2(spec: RawMap, meta: ObjectMeta): PoolSpec {
  onlyFields(spec, 'spec', ['selector', 'targetPortNumber', 'extensionRef']);
  const selector = readLabelMap(spec.selector, 'spec.selector', 1, MAX_SELECTOR_LABELS);
  const port = reqInt(spec, 'targetPortNumber', 'spec', 1, 65535);

  let failureMode: FailureMode = 'FailClose';
  const ref = optMap(spec.extensionRef, 'spec.extensionRef');
  if (ref) {
    const p = 'spec.extensionRef';
    onlyFields(ref, p, ['group', 'kind', 'name', 'portNumber', 'failureMode']);
    optString(ref, 'group', p, 253, 0);
    optString(ref, 'kind', p, 63);
    reqString(ref, 'name', p, 253);
    optInt(ref, 'portNumber', p, 1, 65535);
    failureMode = optEnum(ref, 'failureMode', p, FAILURE_MODES) ?? 'FailClose';
  }
  return {
    name: meta.name,
    namespace: meta.namespace,
    group: X_GROUP,
    selector,
    targetPorts: [port],
    appProtocol: 'http',
    failureMode,
  };
}
