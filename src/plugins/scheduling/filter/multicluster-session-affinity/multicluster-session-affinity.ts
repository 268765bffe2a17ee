/**
 * multicluster-session-affinity-filter (upstream scheduling/filter/sessionaffinity multicluster.go, Alpha):
 * session-affinity-filter over peer clusters: a session stays on the cluster it was routed to (same parameters,
 * strategies and hooks: ../../session-affinity.ts).
 */
import type { PluginHandle } from '../../../../framework/plugin.ts';
import { readSessionAffinityConfig, SessionAffinity } from '../../session-affinity.ts';
import { SessionAffinityFilter } from '../session-affinity/session-affinity.ts';

export const MULTICLUSTER_SESSION_AFFINITY_FILTER_TYPE = 'multicluster-session-affinity-filter';

export function createMulticlusterSessionAffinityFilter(name: string, params: unknown, handle: PluginHandle): SessionAffinityFilter {
  return new SessionAffinityFilter(name, new SessionAffinity(readSessionAffinityConfig(name, params), handle), MULTICLUSTER_SESSION_AFFINITY_FILTER_TYPE);
}
