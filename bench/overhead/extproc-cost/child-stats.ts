/**
 * The child side of the benchmark's process split: answers `stats` requests from the parent with the
 * process's own CPU time (process.cpuUsage: every thread, user + system), memory and GC counts, so the
 * server's cost is measured apart from the load driver's. Exits when the parent goes away.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';

export interface ChildStats {
  /** user + system CPU time of the whole process, microseconds. */
  cpuUs: number;
  userUs: number;
  systemUs: number;
  rss: number;
  /** The file-backed part of the RSS (the node binary's and libraries' pages touched), from /proc; 0 elsewhere. */
  rssFile: number;
  heapUsed: number;
  /** V8 heap reserved (committed) for all spaces. */
  heapTotal: number;
  /** Memory of ArrayBuffers and Buffers (typed-array indexes, socket buffers), outside the JS heap. */
  arrayBuffers: number;
  gcCount: number;
  gcMs: number;
  /** Child-specific counters (e.g. scrapes). */
  extra: Record<string, number>;
}

export type ChildRequest =
  | { id: number; cmd: 'stats' | 'exit' | 'gc' | 'profile-start' }
  /** Stops the CPU profiler started by profile-start and writes the .cpuprofile to `path`. */
  | { id: number; cmd: 'profile-stop'; path: string }
  /** Runs a child-specific command; the reply carries its result and fresh stats. */
  | { id: number; cmd: 'run'; name: string; arg: unknown };

/** Child-specific commands (e.g. filling an index), by name. */
export type ChildCommands = Record<string, (arg: unknown) => unknown>;

let session: Session | null = null;

/** Steady-state profiles: only the window between profile-start and profile-stop (no startup, no JIT warm-up). */
async function profile(m: ChildRequest): Promise<void> {
  if (m.cmd === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  } else if (m.cmd === 'profile-stop' && session) {
    const { profile: p } = await session.post('Profiler.stop');
    writeFileSync(m.path, JSON.stringify(p));
    session.disconnect();
    session = null;
  }
}

export function serveStats(extra: () => Promise<Record<string, number>> | Record<string, number> = () => ({}), commands: ChildCommands = {}): void {
  let gcCount = 0;
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (m: ChildRequest) => {
    void (async () => {
      if (m.cmd === 'exit') process.exit(0);
      if (m.cmd === 'gc') (globalThis as { gc?: () => void }).gc?.();
      if (m.cmd === 'profile-start' || m.cmd === 'profile-stop') await profile(m);
      let result: unknown;
      if (m.cmd === 'run') {
        const f = commands[m.name];
        if (!f) throw new Error(`unknown child command ${m.name}`);
        result = await f(m.arg);
      }
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      const stats: ChildStats = { cpuUs: cpu.user + cpu.system, userUs: cpu.user, systemUs: cpu.system, rss: mem.rss, rssFile: rssFileBytes(), heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, arrayBuffers: mem.arrayBuffers, gcCount, gcMs, extra: await extra() };
      process.send!({ id: m.id, stats, result });
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

function rssFileBytes(): number {
  try {
    const m = /^RssFile:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Tells the parent the child is ready (with whatever it needs to know, e.g. the port). */
export function ready(info: Record<string, unknown>): void {
  process.send!({ ready: info });
}
