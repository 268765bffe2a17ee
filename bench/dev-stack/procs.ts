/** Child processes for the end-to-end mode and the dev stack: spawn with the current Node, wait for a log line, stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Last lines of stdout+stderr, for error messages. */
  readonly tail: string[];
}

/** Runs `node <script> ...args` from the repo root with this process's Node binary (Node 24 under npm). */
/** Node flags the picker runs with, as in the Dockerfile's ENTRYPOINT and `npm run start:picker`. */
export const PICKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
/** Environment the Dockerfile gives the picker. */
export const PICKER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' };

export function spawnNode(name: string, script: string, args: readonly string[], onLine?: (line: string) => void, nodeFlags: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Child {
  const proc = spawn(process.execPath, [...nodeFlags, script, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const child: Child = { name, proc, tail };
  let partial = '';
  const onData = (buf: Buffer): void => {
    partial += buf.toString('utf8');
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      nl = partial.indexOf('\n');
      tail.push(line);
      if (tail.length > 40) tail.shift();
      onLine?.(line);
    }
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  return child;
}

/** Resolves when `count` lines matching `re` were printed; rejects on exit (also one before the call), a failed start or timeout. */
export function waitForLines(child: Child, re: RegExp, count: number, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    for (const l of child.tail) if (re.test(l)) seen.push(l);
    if (seen.length >= count) return resolve(seen);
    const p = child.proc;
    if (p.exitCode !== null || p.signalCode !== null) return reject(new Error(`${child.name} exited (${p.exitCode ?? p.signalCode}) before it was ready:\n  ${child.tail.join('\n  ')}`));
    const onData = (): void => {
      seen.length = 0;
      for (const l of child.tail) if (re.test(l)) seen.push(l);
      if (seen.length >= count) done(null);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => done(new Error(`${child.name} exited (${code ?? signal}) before it was ready:\n  ${child.tail.join('\n  ')}`));
    const onError = (e: Error): void => done(new Error(`${child.name} could not start: ${e.message}`));
    const timer = setTimeout(() => done(new Error(`${child.name} not ready after ${timeoutMs} ms:\n  ${child.tail.join('\n  ')}`)), timeoutMs);
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      child.proc.stdout?.off('data', onData);
      child.proc.stderr?.off('data', onData);
      child.proc.off('close', onExit);
      child.proc.off('error', onError);
      if (err) reject(err);
      else resolve([...seen]);
    };
    child.proc.stdout?.on('data', onData);
    child.proc.stderr?.on('data', onData);
    child.proc.once('close', onExit);
    child.proc.once('error', onError);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopChild(child: Child, graceMs = 5000): Promise<void> {
  const p = child.proc;
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A port p free on 127.0.0.1 with p + 1 free too (a picker's replica-sync port and its snapshot port). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p >= 65534) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
}
