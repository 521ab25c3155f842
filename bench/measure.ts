/** Runs a Node.js script as a child process and measures its wall-clock time and peak RSS. */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PRELOAD = pathToFileURL(fileURLToPath(new URL('./rusage-preload.ts', import.meta.url))).href;

export interface Measured {
  readonly wallMs: number;
  readonly maxRssBytes: number;
  readonly userCpuMs: number;
  readonly systemCpuMs: number;
}

interface Usage {
  readonly exitCode: number;
  readonly maxRssBytes: number;
  readonly userCpuMs: number;
  readonly systemCpuMs: number;
}

export interface ChildRun {
  /** Node.js arguments after the preload: a script and its arguments. */
  readonly args: readonly string[];
  /** Where the child's stdout goes. */
  readonly stdoutPath: string;
  /** A scratch directory for the resource-usage report. */
  readonly workDir: string;
  readonly cwd: string;
}

function waitForExit(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      resolve(code);
    });
  });
}

/** Spawns `node --import <preload> ...args`, stdout to a file, stderr kept for messages. */
export async function measureChild(run: ChildRun): Promise<Measured> {
  const usagePath = join(run.workDir, `rusage-${process.pid}-${Date.now()}.json`);
  const stdout = openSync(run.stdoutPath, 'w');
  let stderr = '';
  const started = performance.now();
  let code: number | null;
  try {
    const child = spawn(process.execPath, ['--import', PRELOAD, ...run.args], {
      cwd: run.cwd,
      stdio: ['ignore', stdout, 'pipe'],
      env: { ...process.env, BENCH_RUSAGE_FILE: usagePath },
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    code = await waitForExit(child);
  } finally {
    closeSync(stdout);
  }
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`child exited with ${String(code)}: node ${run.args.join(' ')}\n${stderr}`);
  const usage = JSON.parse(await readFile(usagePath, 'utf8')) as Usage;
  await rm(usagePath, { force: true });
  return { wallMs, maxRssBytes: usage.maxRssBytes, userCpuMs: usage.userCpuMs, systemCpuMs: usage.systemCpuMs };
}

/** The run with the median wall-clock time (peak RSS: the highest seen). */
export function median(results: readonly Measured[]): Measured {
  const sorted = [...results].sort((a, b) => a.wallMs - b.wallMs);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new RangeError('measure at least once');
  return { ...middle, maxRssBytes: Math.max(...results.map((r) => r.maxRssBytes)) };
}
