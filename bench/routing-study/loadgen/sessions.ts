/**
 * Session workloads: each turn resends the whole conversation so far, so a session's prompts share a growing
 * prefix (what a router with prefix state keeps on one server).
 * - multi-turn chat: `sessions` conversations of `turns` turns; a turn adds a question and the previous answer.
 * - agentic: every agent shares one long system prompt (tool definitions), each step appends a tool result to the
 *   transcript and asks for a short action; many steps per session.
 * Item i belongs to round floor(i / sessions): every session sends one turn per round, in an order shuffled per
 * round (seeded), so consecutive turns of one session are about `sessions` requests apart (their think time is
 * a round's duration) and no fixed order lines sessions up with a round-robin balancer. After the last turn the
 * sessions start over with new conversations, so the workload does not end.
 */
import { Rng } from '../../sim/rng.ts';
import { randomText } from './text.ts';
import type { WorkItem, Workload } from './workload.ts';

export interface MultiTurnOptions {
  sessions: number;
  turns: number;
  /** Tokens of each new user message, and of each answer (the request's max_tokens). */
  questionLen: number;
  answerLen: number;
  /** Tokens of a per-session system prompt ('' when 0). */
  systemLen: number;
  seed: number;
}

export interface AgenticOptions {
  sessions: number;
  steps: number;
  /** Tokens of the system prompt every agent shares (tool definitions). */
  sharedSystemLen: number;
  /** Tokens of the task statement, and of each tool result appended per step. */
  taskLen: number;
  toolResultLen: number;
  /** Tokens of each action the model writes (max_tokens). */
  actionLen: number;
  seed: number;
}

const CHARS_PER_TOKEN = 4;

/** Which session sends item i: a seeded shuffle of the sessions per round (the last round's order is cached). */
function sessionOrder(seed: number, sessions: number): (i: number) => number {
  let round = -1;
  let order: number[] = [];
  return (i) => {
    const r = Math.floor(i / sessions);
    if (r !== round) {
      round = r;
      order = Array.from({ length: sessions }, (_, k) => k);
      new Rng((Math.imul(seed ^ 0x0bde, 0x9e3779b1) ^ Math.imul(r + 1, 0x85ebca6b)) >>> 0).shuffle(order);
    }
    return order[i % sessions] as number;
  };
}
const text = (rng: Rng, tokens: number): string => randomText(rng, tokens);

/** The pieces of one conversation, deterministic from (seed, generation, session). */
function pieces(seed: number, generation: number, session: number, count: number, firstLen: number, pieceLen: number): string[] {
  const rng = new Rng((Math.imul(seed ^ 0x5e55, 0x9e3779b1) ^ Math.imul(generation + 1, 0x85ebca6b) ^ Math.imul(session + 1, 0xc2b2ae35)) >>> 0);
  const out = [firstLen > 0 ? text(rng, firstLen) : ''];
  for (let k = 0; k < count; k++) out.push(text(rng, pieceLen));
  return out;
}

export function multiTurnChat(o: MultiTurnOptions): Workload {
  const sessionOf = sessionOrder(o.seed, o.sessions);
  return {
    name: 'multi-turn',
    size: 2 ** 31,
    item(i: number): WorkItem {
      const session = sessionOf(i);
      const round = Math.floor(i / o.sessions);
      const generation = Math.floor(round / o.turns);
      const turn = round % o.turns;
      // [system, q0, a0, q1, a1, ...]: turn k sends system + q0 a0 ... q(k-1) a(k-1) + qk.
      const p = pieces(o.seed, generation, session, 2 * o.turns, o.systemLen, o.questionLen);
      let prompt = '';
      for (let k = 0; k < turn; k++) prompt += `${p[1 + 2 * k]} ${(p[2 + 2 * k] as string).slice(0, o.answerLen * CHARS_PER_TOKEN)} `;
      prompt += p[1 + 2 * turn];
      return { api: 'chat', model: '', prompt, system: p[0] as string, outputTokens: o.answerLen, group: generation * o.sessions + session };
    },
    describe: { generator: 'multi-turn', ...o },
  };
}

export function agenticSessions(o: AgenticOptions): Workload {
  const shared = text(new Rng(o.seed ^ 0xa6e7), o.sharedSystemLen);
  const sessionOf = sessionOrder(o.seed, o.sessions);
  return {
    name: 'agentic',
    size: 2 ** 31,
    item(i: number): WorkItem {
      const session = sessionOf(i);
      const round = Math.floor(i / o.sessions);
      const generation = Math.floor(round / o.steps);
      const step = round % o.steps;
      // [task, r0, r1, ...]: step k sends the task, then per earlier step an action and its tool result.
      const p = pieces(o.seed, generation, session, o.steps, o.taskLen, o.toolResultLen);
      let prompt = p[0] as string;
      for (let k = 0; k < step; k++) prompt += ` <action ${k}> ${(p[1 + k] as string).slice(0, o.actionLen * CHARS_PER_TOKEN)} <result ${k}> ${p[1 + k]}`;
      return { api: 'chat', model: '', prompt, system: shared, outputTokens: o.actionLen, group: generation * o.sessions + session };
    },
    describe: { generator: 'agentic', ...o },
  };
}
