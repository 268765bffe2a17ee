/** JSON logs with pino; --v sets verbosity the way upstream's zap levels do (0-1 info, 2-3 debug, 4+ trace). */
import pino, { type Logger } from 'pino';

export function levelForVerbosity(v: number): pino.Level {
  if (v >= 4) return 'trace';
  if (v >= 2) return 'debug';
  return 'info';
}

export function createLogger(verbosity: number, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = { level: levelForVerbosity(verbosity), base: { component: 'epp' } };
  return destination ? pino(options, destination) : pino(options);
}
