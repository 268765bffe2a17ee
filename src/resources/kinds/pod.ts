/**
 * Pod v1: only the fields the picker reads (labels, annotations, deletionTimestamp, podIP, hostIP, Ready condition).
 * Everything else is ignored, since real pods carry many fields we have no use for.
 */
import { isIP } from 'node:net';
import type { PodSpec } from '../../datastore/resources.ts';
import { asList, asMap, child, FieldError, optEnum, optMap, optString, stringMap, type RawMap } from '../../input/fields.ts';
import type { ObjectMeta } from './common.ts';

const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

export function parsePod(obj: RawMap, meta: ObjectMeta): PodSpec {
  const labels = stringMap(meta.raw.labels, 'metadata.labels');
  const annotations = stringMap(meta.raw.annotations, 'metadata.annotations');
  const status = optMap(obj.status, 'status') ?? {};

  const ip = optString(status, 'podIP', 'status', 45, 0) ?? '';
  if (ip !== '' && isIP(ip) === 0) throw new FieldError('status.podIP', `must be an IP address, got ${JSON.stringify(ip)}`);

  const hostIp = optString(status, 'hostIP', 'status', 45, 0) ?? '';
  if (hostIp !== '' && isIP(hostIp) === 0) throw new FieldError('status.hostIP', `must be an IP address, got ${JSON.stringify(hostIp)}`);

  let ready = false;
  const conditions = asList(status.conditions, 'status.conditions', 0, Infinity);
  for (let i = 0; i < conditions.length; i++) {
    const p = child('status.conditions', i);
    const c = asMap(conditions[i], p);
    if (c.type === 'Ready') ready = optEnum(c, 'status', p, CONDITION_STATUSES) === 'True';
  }

  const deletion = meta.raw.deletionTimestamp;
  return {
    name: meta.name,
    namespace: meta.namespace,
    labels,
    annotations,
    ip,
    ...(hostIp !== '' ? { hostIp } : {}),
    ready,
    terminating: deletion !== undefined && deletion !== null,
  };
}
