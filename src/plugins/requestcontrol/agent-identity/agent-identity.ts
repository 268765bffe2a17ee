/**
 * agent-identity (upstream requestcontrol/requestheader/agentidentity, Alpha): publishes the coding agent's
 * session id as the request attribute `agent-identity` (producer-agnostic), from the first non-empty header of
 * `additionalSessionHeaders` (in order) then x-claude-code-session-id, x-session-affinity (OpenCode),
 * session-id and session_id (Codex). session-affinity `sources: [{attribute: agent-identity}]` reads it.
 */
import { AGENT_IDENTITY_KEY, type RequestAttribute } from '../../../framework/data-keys.ts';
import type { Endpoint } from '../../../framework/endpoint.ts';
import { PluginConfigError, type PluginHandle } from '../../../framework/plugin.ts';
import type { LLMRequest } from '../../../framework/request.ts';
import type { DataProducer } from '../../../framework/requestcontrol.ts';
import { describe, isAbsent } from '../../../input/fields.ts';
import { readParams } from '../../../input/plugin-params.ts';

export const AGENT_IDENTITY_TYPE = 'agent-identity';
export const DEFAULT_SESSION_HEADERS = ['x-claude-code-session-id', 'x-session-affinity', 'session-id', 'session_id'] as const;

export class AgentIdentity implements DataProducer {
  readonly type = AGENT_IDENTITY_TYPE;
  readonly name: string;
  readonly produces = [AGENT_IDENTITY_KEY];
  /** Lower-cased, in priority order. */
  readonly headers: readonly string[];

  constructor(name: string, additional: readonly string[]) {
    this.name = name;
    this.headers = [...additional, ...DEFAULT_SESSION_HEADERS].map((h) => h.toLowerCase());
  }

  produce(request: LLMRequest, _candidates: readonly Endpoint[]): void {
    for (const h of this.headers) {
      const id = request.headers.get(h);
      if (id !== undefined && id !== '') {
        const attr: RequestAttribute = { request, value: id };
        request.data.set(AGENT_IDENTITY_KEY, attr);
        return;
      }
    }
  }
}

export function createAgentIdentity(name: string, params: unknown, _handle: PluginHandle): AgentIdentity {
  const p = readParams(name, params, ['additionalSessionHeaders']);
  const raw = p['additionalSessionHeaders'];
  const extra: string[] = [];
  if (!isAbsent(raw)) {
    if (!Array.isArray(raw)) throw new PluginConfigError(name, 'additionalSessionHeaders', `must be a list of header names, got ${describe(raw)}`);
    raw.forEach((h, i) => {
      if (typeof h !== 'string') throw new PluginConfigError(name, `additionalSessionHeaders[${i}]`, `must be a string, got ${describe(h)}`);
      extra.push(h);
    });
  }
  return new AgentIdentity(name, extra);
}
