/**
 * A process's peak RSS, and resetting it: Linux keeps a high-water mark of the resident set
 * (`VmHWM`, which `getrusage`'s `ru_maxrss` and so `process.resourceUsage().maxRSS` report for a
 * live process) and lets the process reset it to its current RSS by writing `5` to
 * `/proc/self/clear_refs` (proc(5), "/proc/pid/clear_refs", since Linux 4.0). With it, the peak
 * of one run inside a long-lived process can be measured: reset, run, read.
 */
import { writeFileSync } from 'node:fs';

/** The process's peak RSS since it started or since the last reset (bytes). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024; // Linux reports kilobytes
}

/** Resets the peak RSS to the current RSS; false where the system does not allow it (not Linux). */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
