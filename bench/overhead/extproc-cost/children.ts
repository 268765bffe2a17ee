/** The parent side: forks a benchmark child, waits for it to be ready, asks it for its CPU and memory. */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildRequest, ChildStats } from './child-stats.ts';

export class Child {
  readonly name: string;
  readonly info: Record<string, unknown>;
  readonly #proc: ChildProcess;
  #nextId = 1;
  readonly #waiting = new Map<number, (reply: { stats: ChildStats; result: unknown }) => void>();

  private constructor(name: string, proc: ChildProcess, info: Record<string, unknown>) {
    this.name = name;
    this.#proc = proc;
    this.info = info;
    proc.on('message', (m: { id?: number; stats?: ChildStats; result?: unknown }) => {
      if (m.id === undefined || !m.stats) return;
      this.#waiting.get(m.id)?.({ stats: m.stats, result: m.result });
      this.#waiting.delete(m.id);
    });
  }

  get pid(): number {
    return this.#proc.pid!;
  }

  /**
   * Forks `script` (a .ts file run by the same node) with `args`. Extra node flags for every child come from
   * EPP_BENCH_CHILD_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the servers).
   */
  static start(name: string, script: URL, args: string[], nodeFlags: string[] = [], timeoutMs = 60_000, env: Readonly<Record<string, string>> = {}): Promise<Child> {
    const extra = (process.env.EPP_BENCH_CHILD_FLAGS ?? '').split(' ').filter((s) => s !== '');
    const proc = fork(script, args, { execArgv: [...nodeFlags, ...extra], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill();
        reject(new Error(`${name}: not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before it was ready`));
      });
      proc.on('message', function onReady(m: { ready?: Record<string, unknown> }) {
        if (!m.ready) return;
        clearTimeout(timer);
        proc.off('message', onReady);
        proc.removeAllListeners('exit');
        resolve(new Child(name, proc, m.ready));
      });
    });
  }

  /** CPU and memory; 'gc' runs a GC first (child started with --expose-gc). */
  stats(cmd: 'stats' | 'gc' = 'stats'): Promise<ChildStats> {
    return this.#ask({ id: this.#nextId++, cmd });
  }

  /** Starts the child's CPU profiler (steady-state profiles: no startup, no warm-up). */
  profileStart(): Promise<ChildStats> {
    return this.#ask({ id: this.#nextId++, cmd: 'profile-start' });
  }

  /** Stops the profiler and writes the .cpuprofile to `path`. */
  profileStop(path: string): Promise<ChildStats> {
    return this.#ask({ id: this.#nextId++, cmd: 'profile-stop', path });
  }

  /** Runs a command the child registered; resolves with its result and the stats taken right after. */
  run(name: string, arg: unknown = null): Promise<{ stats: ChildStats; result: unknown }> {
    return this.#send({ id: this.#nextId++, cmd: 'run', name, arg });
  }

  #ask(req: ChildRequest): Promise<ChildStats> {
    return this.#send(req).then((r) => r.stats);
  }

  #send(req: ChildRequest): Promise<{ stats: ChildStats; result: unknown }> {
    return new Promise((resolve) => {
      this.#waiting.set(req.id, resolve);
      this.#proc.send(req);
    });
  }

  /** Asks the child to exit (it flushes a --cpu-prof profile on a normal exit), kills it after 5 s. */
  stop(): Promise<void> {
    if (this.#proc.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
      this.#proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#proc.send({ id: 0, cmd: 'exit' } satisfies ChildRequest);
    });
  }
}
