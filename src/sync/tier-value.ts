/**
 * A record's tier value as the sync compares it: tier, reason text and next-tier hint sentence as
 * one string, and a compact hash of it (with and without over-capacity ranks) to keep per record
 * instead. A change of any of the three is a change to write; a missing one reads as empty.
 */

/** The reasons of a decision as the one text written to the CRM's reason property/field. */
export function reasonText(reasons: readonly string[]): string {
  return reasons.join('; ');
}

/** Tier, reason and hint as one comparable string; a missing one reads as empty. */
export function tierValue(
  tier: string | null | undefined,
  reason: string | null | undefined,
  hint: string | null | undefined,
): string {
  return `${tier ?? ''}\u0000${reason ?? ''}\u0000${hint ?? ''}`;
}

/** The value of a record with neither tier, reason nor hint in the CRM. */
export const NO_TIER = tierValue(null, null, null);

/** The ordinal rank in an over-capacity reason ("…; ranked 134th by dealSize) → …", "1,234th"). */
const CAPACITY_RANK = /; ranked [\d,]+(?:st|nd|rd|th) by /g;

/** A tier value without its over-capacity ranks: two values differing only in ranks become equal. */
export function withoutRank(value: string): string {
  return value.replace(CAPACITY_RANK, '; ranked by ');
}

/**
 * A 53-bit hash of a text (cyrb53): two different values of one record collide with odds of
 * about 1 in 9 × 10^15.
 */
export function textHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
