/** Test helpers: wait for a condition on an event (never a fixed sleep), and a logger whose lines a test can read. */
import type { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';

/**
 * Resolves once `cond()` holds, re-checking on every `event` from `emitter`. The deadline only bounds a
 * failing test; passing tests finish as soon as the event arrives.
 */
export function until(emitter: EventEmitter<any>, event: string, cond: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!cond()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for: ${what}`));
    }, deadlineMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off(event, check);
    };
    emitter.on(event, check);
  });
}

export interface CapturedLogger {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function captureLogger(level: pino.LevelWithSilent = 'info'): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

export const silentLogger: Logger = pino({ level: 'silent' });
