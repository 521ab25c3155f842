/**
 * Preloaded into a measured child (`node --import`): at exit, writes the process's own resource
 * usage (peak RSS, CPU times) as JSON to the file named by BENCH_RUSAGE_FILE. Reading it from
 * inside the child needs no root and no /usr/bin/time.
 */
import { writeFileSync } from 'node:fs';

const target = process.env['BENCH_RUSAGE_FILE'];
if (target !== undefined && target !== '') {
  process.on('exit', (code) => {
    const usage = process.resourceUsage();
    const report = {
      exitCode: code,
      maxRssBytes: usage.maxRSS * 1024, // Linux reports kilobytes
      userCpuMs: usage.userCPUTime / 1000,
      systemCpuMs: usage.systemCPUTime / 1000,
    };
    writeFileSync(target, `${JSON.stringify(report)}\n`);
  });
}
