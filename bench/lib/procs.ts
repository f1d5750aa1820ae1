/** Child servers for the bench: start, wait for the endpoint line, sample CPU and memory, stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const live = new Set<ChildProcess>();

export interface Server {
  name: string;
  url: string;
  /** all capture groups of the endpoint line regex (url is the first) */
  endpoints: string[];
  pid: number;
  child: ChildProcess;
  stderrTail(): string;
}

/** Splits a command line on whitespace (no shell, so the pid we get is the server's own). */
export function splitCommand(cmd: string): string[] {
  return cmd.trim().split(/\s+/);
}

export function startServer(name: string, argv: string[], env: NodeJS.ProcessEnv, endpointLine: RegExp, cwd: string): Promise<Server> {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-4000);
  });
  return new Promise<Server>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not print its endpoint within 30 s`)), 30_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${e.message}\n--- ${name} stderr ---\n${err}\n--- stdout ---\n${out}`));
    };
    child.on('exit', (code, sig) => fail(new Error(`${name} exited early (code ${code}, signal ${sig})`)));
    child.on('error', (e) => fail(e));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = endpointLine.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.on('exit', () => live.delete(child));
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ name, url: m[1]!, endpoints: m.slice(1).map(String), pid: child.pid!, child, stderrTail: () => err });
      }
    });
  });
}

export async function stopServer(s: Server, timeoutMs = 15_000): Promise<void> {
  const c = s.child;
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

export function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
}

/** utime+stime of a process (all threads) in seconds */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

export function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process we own; false if not possible. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `ms` until stopped; returns the highest sample in KiB. */
export function sampleRss(pid: number, ms = 50): { stop(): number } {
  let peak = statusKiB(pid, 'VmRSS');
  const t = setInterval(() => {
    const v = statusKiB(pid, 'VmRSS');
    if (v > peak) peak = v;
  }, ms);
  return {
    stop() {
      clearInterval(t);
      const v = statusKiB(pid, 'VmRSS');
      return v > peak ? v : peak;
    },
  };
}

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat: everything but idle and iowait. */
export function systemBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
  } catch {
    return NaN;
  }
}
