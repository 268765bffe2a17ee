/**
 * JSON logs with pino. --v sets verbosity the way upstream's zap levels do (0-1 info, 2-3 debug, 4+ trace); the
 * controller-runtime zap flags map onto pino: --zap-encoder (json, or console lines), --zap-log-level (named
 * level, or a verbosity), --zap-stacktrace-level (a `stacktrace` field on records at or above it),
 * --zap-time-encoding (the `time` field's form).
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface LogOptions {
  encoder: 'json' | 'console';
  /** A verbosity (--v, or --zap-log-level=N) or a zap level name. */
  level: { verbosity: number } | { named: 'debug' | 'info' | 'error' | 'panic' };
  stacktraceLevel: 'debug' | 'info' | 'warn' | 'error' | 'panic';
  /** 'default' = pino's epoch milliseconds. */
  timeEncoding: 'default' | 'epoch' | 'millis' | 'nano' | 'iso8601' | 'rfc3339' | 'rfc3339nano';
}

export function levelForVerbosity(v: number): pino.Level {
  if (v >= 4) return 'trace';
  if (v >= 2) return 'debug';
  return 'info';
}

const ZAP_TO_PINO = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', panic: 'fatal' } as const;

export function createLogger(options: number | LogOptions, destination?: pino.DestinationStream): Logger {
  const o: LogOptions = typeof options === 'number' ? { encoder: 'json', level: { verbosity: options }, stacktraceLevel: 'error', timeEncoding: 'default' } : options;
  const level = 'verbosity' in o.level ? levelForVerbosity(o.level.verbosity) : ZAP_TO_PINO[o.level.named];
  const stackFrom = pino.levels.values[ZAP_TO_PINO[o.stacktraceLevel]]!;
  const opts: pino.LoggerOptions = {
    level,
    base: { component: 'epp' },
    timestamp: TIME[o.timeEncoding],
    hooks: {
      // Only records at or above the stacktrace level pay for the capture.
      logMethod(args, method, lvl) {
        if (lvl < stackFrom) return method.apply(this, args);
        const stacktrace = (new Error().stack ?? '').split('\n').slice(3).join('\n');
        const first: unknown = args[0];
        if (typeof first === 'object' && first !== null) return method.apply(this, [{ ...first, stacktrace }, ...args.slice(1)] as Parameters<typeof method>);
        return method.apply(this, [{ stacktrace }, ...args] as Parameters<typeof method>);
      },
    },
  };
  const dest = o.encoder === 'console' ? consoleEncoder(destination ?? pino.destination(1)) : destination;
  return dest ? pino(opts, dest) : pino(opts);
}

const TIME: Record<LogOptions['timeEncoding'], () => string> = {
  default: pino.stdTimeFunctions.epochTime,
  epoch: () => `,"time":${Date.now() / 1000}`,
  millis: pino.stdTimeFunctions.epochTime,
  nano: () => `,"time":${BigInt(Date.now()) * 1_000_000n}`,
  iso8601: pino.stdTimeFunctions.isoTime,
  rfc3339: () => `,"time":"${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}"`,
  rfc3339nano: pino.stdTimeFunctions.isoTime,
};

/** zap's console encoding: time, LEVEL, message, then the remaining fields as JSON, tab-separated. */
function consoleEncoder(out: pino.DestinationStream): Writable {
  const names = pino.levels.labels;
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = chunk.toString('utf8').split('\n');
      let text = '';
      for (const line of lines) {
        if (line === '') continue;
        try {
          const { time, level, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
          const fields = Object.keys(rest).length > 0 ? `\t${JSON.stringify(rest)}` : '';
          text += `${String(time)}\t${(names[level as number] ?? String(level)).toUpperCase()}\t${String(msg ?? '')}${fields}\n`;
        } catch {
          text += line + '\n';
        }
      }
      out.write(text);
      done();
    },
  });
}
