/**
 * What both generators (hubspot/generate.ts, salesforce/generate.ts) draw from: the made-up names
 * and products, and the two distributions they share. Each generator keeps its own draw order, so
 * a seed gives the same portal or org as before these moved here.
 */
import type { Rng } from './prng.ts';

export const DAY = 86_400_000;

/** Company names: head + tail + kind, e.g. "Velstone Logistics". */
export const NAME_HEADS = [
  'Nor',
  'Vel',
  'Astr',
  'Brig',
  'Cal',
  'Dun',
  'Ever',
  'Fal',
  'Gran',
  'Hal',
  'Iron',
  'Jun',
  'Kest',
];
export const NAME_TAILS = [
  'vex',
  'ora',
  'ion',
  'wick',
  'ford',
  'stone',
  'leaf',
  'mark',
  'path',
  'gate',
  'line',
  'crest',
];
export const NAME_KINDS = [
  'Systems',
  'Labs',
  'Group',
  'Logistics',
  'Health',
  'Foods',
  'Capital',
  'Software',
  'Retail',
  'Inc',
];
export const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
];
export const LAST_NAMES = [
  'Okafor',
  'Schmidt',
  'Tanaka',
  'Garcia',
  'Novak',
  'Murphy',
  'Rossi',
  'Kowalski',
  'Singh',
  'Berg',
];
/** Deal / opportunity name suffixes. */
export const PRODUCTS = ['Platform', 'Renewal', 'Expansion', 'Pilot', 'Services', 'Enterprise'];

/** Log-uniform in [min, max]. */
export function logUniform(rng: Rng, min: number, max: number): number {
  return Math.exp(Math.log(min) + rng.next() * (Math.log(max) - Math.log(min)));
}

/**
 * An index in [0, length) skewed towards the start (the larger `power`, the more), so a few
 * companies have many contacts and deals.
 */
export function skewedIndex(rng: Rng, length: number, power: number): number {
  return Math.min(length - 1, Math.floor(length * rng.next() ** power));
}
