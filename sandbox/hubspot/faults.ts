/**
 * Fault injection (off by default): with probability `rate`, a request gets one of `kinds`,
 * chosen by a seeded PRNG so a run can be replayed:
 * - `429`: a TEN_SECONDLY_ROLLING (search: SECONDLY) rate-limit refusal;
 * - `500`: an internal error;
 * - `timeout`: no answer; the connection is dropped after `timeoutMs`;
 * - `slow`: answered normally after `slowMs`.
 */
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.ts';
import { isSearchRequest, rateLimitBody } from './limits.ts';
import { createRng } from '../shared/prng.ts';
import type { SandboxStats } from './stats.ts';

export const FAULT_KINDS = ['429', '500', 'timeout', 'slow'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Probability in [0, 1] that a request gets a fault. */
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  readonly seed?: number;
  /** Delay of a `slow` answer (default 1,500 ms). */
  readonly slowMs?: number;
  /** How long a `timeout` holds the connection before dropping it (default 30,000 ms). */
  readonly timeoutMs?: number;
}

/** Timers the sandbox must clear when it closes. */
export type TimerSet = Set<NodeJS.Timeout>;

function later(timers: TimerSet, ms: number, run: () => void): void {
  const timer = setTimeout(() => {
    timers.delete(timer);
    run();
  }, ms);
  timers.add(timer);
}

export function faultInjector(
  options: FaultOptions,
  stats: SandboxStats,
  timers: TimerSet,
): (req: Request, res: Response, next: NextFunction) => void {
  if (!(options.rate >= 0 && options.rate <= 1)) throw new Error('faults.rate must be between 0 and 1');
  const kinds = options.kinds.filter((kind) => (FAULT_KINDS as readonly string[]).includes(kind));
  const rng = createRng(options.seed ?? 0);
  const slowMs = options.slowMs ?? 1500;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return (req, res, next) => {
    if (kinds.length === 0 || !rng.chance(options.rate)) {
      next();
      return;
    }
    const kind = rng.pick(kinds);
    stats.faults[kind]++;
    switch (kind) {
      case '429':
        sendError(res, 429, rateLimitBody(isSearchRequest(req) ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING'));
        return;
      case '500':
        sendError(res, 500, { message: 'internal error (injected by the sandbox)', category: 'INTERNAL_ERROR' });
        return;
      case 'timeout':
        later(timers, timeoutMs, () => req.socket.destroy());
        return;
      case 'slow':
        later(timers, slowMs, next);
        return;
    }
  };
}
