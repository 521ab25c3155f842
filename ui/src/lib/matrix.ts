/**
 * A preview's movements as from → to matrices per record type, with the distribution before
 * (current tiers) and after (the candidate's), in the policy's tier order.
 */
import type { Tier } from '../../../src/core/policy-types.ts';
import type { PreviewMovement, RecordType } from '../types.ts';

export const NONE = '(none)';

export interface MatrixCell {
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly movement: PreviewMovement | undefined;
  /** +1 more touch, -1 less, 0 the same tier; new records (from none) count as 0. */
  readonly direction: -1 | 0 | 1;
}

export interface Matrix {
  readonly type: RecordType;
  /** Row keys: current tiers (with `(none)` first when some records have no tier yet). */
  readonly rows: readonly string[];
  /** Column keys: the candidate's tiers. */
  readonly columns: readonly string[];
  readonly cells: ReadonlyMap<string, MatrixCell>;
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>>;
  readonly total: number;
  /** Records whose tier would change. */
  readonly changed: number;
}

export function cellKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

export function buildMatrix(type: RecordType, tiers: readonly Tier[], movements: readonly PreviewMovement[]): Matrix {
  const order = tiers.map((tier) => tier.value);
  const rank = new Map(order.map((value, index) => [value, index]));
  const mine = movements.filter((movement) => movement.type === type);
  const extraFrom = [...new Set(mine.map((m) => m.from))].filter((from) => !rank.has(from) && from !== NONE).sort();
  const rows = [...(mine.some((m) => m.from === NONE) ? [NONE] : []), ...order, ...extraFrom];
  const extraTo = [...new Set(mine.map((m) => m.to))].filter((to) => !rank.has(to)).sort();
  const columns = [...order, ...extraTo];
  const cells = new Map<string, MatrixCell>();
  const before: Record<string, number> = Object.fromEntries(rows.map((row) => [row, 0]));
  const after: Record<string, number> = Object.fromEntries(columns.map((column) => [column, 0]));
  let total = 0;
  let changed = 0;
  for (const movement of mine) {
    const from = rank.get(movement.from);
    const to = rank.get(movement.to);
    const direction = from === undefined || to === undefined || from === to ? 0 : to > from ? 1 : -1;
    cells.set(cellKey(movement.from, movement.to), {
      from: movement.from,
      to: movement.to,
      count: movement.count,
      movement,
      direction,
    });
    before[movement.from] = (before[movement.from] ?? 0) + movement.count;
    after[movement.to] = (after[movement.to] ?? 0) + movement.count;
    total += movement.count;
    if (movement.from !== movement.to) changed += movement.count;
  }
  return { type, rows, columns, cells, before, after, total, changed };
}

/** The cell to show first: the biggest move, else the biggest cell. */
export function firstCell(matrix: Matrix): MatrixCell | undefined {
  let best: MatrixCell | undefined;
  for (const cell of matrix.cells.values()) {
    const moving = cell.from !== cell.to;
    const bestMoving = best !== undefined && best.from !== best.to;
    if (best === undefined || (moving && !bestMoving) || (moving === bestMoving && cell.count > best.count)) {
      best = cell;
    }
  }
  return best;
}
