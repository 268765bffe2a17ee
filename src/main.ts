/** The `epp` command: parse flags, start the picker, stop gracefully on SIGTERM/SIGINT. */
import { FlagError, helpText, parseFlags } from './cli/flags.ts';
import { createLogger } from './observability/logger.ts';
import { startPicker, StartupError } from './runner.ts';
import { ConfigError } from './config/loader.ts';

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'explain') {
    const { runExplain } = await import('./cli/explain-command.ts');
    return runExplain(argv.slice(1), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  }
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`epp: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  if (flags.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  const logger = createLogger(flags.log);
  let picker;
  try {
    picker = await startPicker(flags, logger);
  } catch (e) {
    if (e instanceof StartupError || e instanceof ConfigError) {
      logger.fatal(e.message);
      process.stderr.write(`epp: ${e.message}\n`);
      return 1;
    }
    logger.fatal({ err: e }, 'startup failed');
    return 1;
  }
  const p = picker;
  // First SIGTERM/SIGINT: drain as upstream (--drain-timeout), then stop; a second signal stops at once.
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      logger.info({ signal }, signals === 1 ? 'shutting down' : 'second signal: stopping now');
      (signals === 1 ? p.drain() : p.stop()).then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

// Input never crashes the picker; a bug in one request path is logged, not fatal.
process.on('uncaughtException', (err) => {
  process.stderr.write(`epp: uncaught exception: ${err.stack ?? err}\n`);
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (code !== 0) process.exit(code);
});
