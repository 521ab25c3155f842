/**
 * CPU time of processes from the outside, for `npm run bench:installations`: user + system time
 * of a pid from `/proc/<pid>/stat` (fields 14 and 15, in clock ticks: proc(5)), and of a
 * PostgreSQL server as its postmaster plus every backend it forked (their parent pid, field 4).
 * The machine's other work (other developers' processes) is not counted, so runs per CPU-second
 * compare figures taken under different loads. Linux only; elsewhere every figure is 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`): 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

interface Stat {
  readonly ppid: number;
  readonly cpuSeconds: number;
  /** Of its children that ended and were waited for (cutime + cstime). */
  readonly reapedSeconds: number;
}

function stat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  const reaped = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) && Number.isFinite(reaped)
    ? { ppid, cpuSeconds: ticks / TICKS_PER_SECOND, reapedSeconds: reaped / TICKS_PER_SECOND }
    : undefined;
}

/** User + system CPU seconds of one process so far (0 when it is gone or unreadable). */
export function cpuSeconds(pid: number | undefined): number {
  return pid === undefined ? 0 : (stat(pid)?.cpuSeconds ?? 0);
}

/** The parent of a process (the postmaster, for a PostgreSQL backend), if readable. */
export function parentOf(pid: number): number | undefined {
  return stat(pid)?.ppid;
}

/**
 * CPU seconds of a process and its children: a PostgreSQL server (postmaster) and its backends —
 * the live ones' own time, and the ended ones' that the postmaster waited for (`cutime`, `cstime`:
 * the pools close idle connections, so backends come and go).
 */
export function treeCpuSeconds(root: number | undefined): number {
  const own = root === undefined ? undefined : stat(root);
  if (root === undefined || own === undefined) return 0;
  let total = own.cpuSeconds + own.reapedSeconds;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return total;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s?.ppid === root) total += s.cpuSeconds;
  }
  return total;
}

/** A process to account for: a pid, or a PostgreSQL server's postmaster (`tree`: with its backends). */
export interface Accounted {
  readonly name: string;
  readonly pid: number | undefined;
  readonly tree?: boolean;
}

/** CPU seconds of each process now, and of this (the benchmark's) process as `bench`. */
export function sampleCpu(processes: readonly Accounted[]): Record<string, number> {
  const sample: Record<string, number> = {};
  for (const p of processes) sample[p.name] = p.tree === true ? treeCpuSeconds(p.pid) : cpuSeconds(p.pid);
  const own = process.cpuUsage();
  sample['bench'] = (own.user + own.system) / 1e6;
  return sample;
}

/** `after − before` per name (both samples of the same processes). */
export function cpuBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, s]) => [name, Math.max(0, s - (before[name] ?? 0))]));
}
