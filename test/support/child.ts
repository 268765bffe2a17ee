/**
 * A child process for a test: waits that fail fast when the child dies first, and a kill when the test ends.
 *
 * Every wait (`line`, `exit`) rejects when the child exits or cannot start before the awaited condition holds,
 * with the exit code (or signal) and the last stderr lines in the message, so a crashed child fails its test at
 * once instead of hanging it until the test timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';

/** How many stderr lines a failure message quotes. */
const TAIL_LINES = 20;

export interface SpawnOptions {
  /** Named in failure messages; defaults to the command. */
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Runs the child as the leader of its own process group, and ends the whole group: for a child that starts
   * children of its own (bench/routing-study/run.ts starts a simulator and a picker) and has no signal handler to stop them.
   */
  group?: boolean;
}

export interface TestChild {
  readonly proc: ChildProcess;
  readonly name: string;
  /** Everything the child printed on stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** The first stdout line matching `re` (already printed or still to come); rejects if the child exits first. */
  line(re: RegExp): Promise<string>;
  /** The exit code once the child has exited and its output is read (null when a signal ended it); rejects if it could not start. */
  readonly exit: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** The last `n` non-empty lines of `text`, indented, for an error message. */
export function lastLines(text: string, n = TAIL_LINES): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length === 0 ? '  (no stderr)' : lines.slice(-n).map((l) => `  ${l}`).join('\n');
}

/**
 * Spawns `command args` with piped stdout/stderr. With a test context the child is killed (SIGKILL, its group
 * with `group`) when that test ends, whether it passed, failed or timed out.
 */
export function spawnChild(t: TestContext | null, command: string, args: readonly string[], opts: SpawnOptions = {}): TestChild {
  const name = opts.name ?? command;
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: opts.group === true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended: { how: string; cause?: Error } | null = null; // set once the child has exited or failed to start
  const waiters: { re: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];

  const findLine = (re: RegExp): string | undefined => out.split('\n').find((l) => re.test(l));
  const diedBefore = (what: string): Error => {
    const e = ended!;
    return new Error(`${name} ${e.how} before ${what}; last stderr lines:\n${lastLines(err)}\n`, e.cause ? { cause: e.cause } : undefined);
  };
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = findLine(w.re);
      if (m === undefined) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  };
  const end = (how: string, cause?: Error): void => {
    ended = cause ? { how, cause } : { how };
    check(); // a line printed just before the exit still counts
    for (const w of waiters.splice(0)) w.reject(diedBefore(`printing a line matching ${w.re}`));
  };
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    check();
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));

  const exit = new Promise<number | null>((resolve, reject) => {
    proc.once('error', (e) => {
      end(`could not start (${e.message})`, e);
      reject(diedBefore('exiting'));
    });
    // 'close' comes after 'exit' once stdout and stderr are drained, so the output is complete.
    proc.once('close', (code, signal) => {
      end(`exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
      resolve(code);
    });
  });
  exit.catch(() => {}); // the rejection reaches whoever awaits `exit`; unobserved it must not crash the run

  const kill = (signal: NodeJS.Signals = 'SIGTERM'): void => {
    if (proc.pid === undefined) return;
    // A group outlives its leader when the leader's own children are still running: signal it anyway.
    if (!opts.group && (proc.exitCode !== null || proc.signalCode !== null)) return;
    try {
      if (opts.group) process.kill(-proc.pid, signal);
      else proc.kill(signal);
    } catch {
      // already gone
    }
  };
  t?.after(() => kill('SIGKILL'));

  return {
    proc,
    name,
    stdout: () => out,
    stderr: () => err,
    exit,
    kill,
    line: (re) => {
      const m = findLine(re);
      if (m !== undefined) return Promise.resolve(m);
      if (ended) return Promise.reject(diedBefore(`printing a line matching ${re}`));
      return new Promise((resolve, reject) => waiters.push({ re, resolve, reject }));
    },
  };
}
