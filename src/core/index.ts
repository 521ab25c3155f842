/**
 * The tiering core: pure (no I/O, no clock, no CRM names). Everything outside `src/core`
 * uses it through this module.
 */
export type * from './policy-types.ts';
export { LEAF_OPERATORS } from './policy-types.ts';
export { validatePolicy, formatProblems, MANUAL_EDITS, TIER_VALUE_PATTERN } from './policy-schema.ts';
export type { PolicyValidation } from './policy-schema.ts';
export { checkRecord, checkPreviousTier } from './records.ts';
export type { CanonicalRecord, PreviousTier, RecordType, Checked } from './records.ts';
export { classify, TieringRun, RunInputError } from './run.ts';
export type { ClassifyResult, Decision, RunOptions } from './run.ts';
export type { NextHint } from './next.ts';
export { relativeGap } from './next.ts';
export { formatNextHint, overrideReason } from './format.ts';
export type { RunSummary, SectionSummary, Movement } from './summary.ts';
export type { CapacityReport } from './capacity.ts';
export { isMissing, readNumber, readBoolean } from './values.ts';
export { seatCount } from './compile.ts';
export { formatPath, problemsFromIssue } from './policy-problems.ts';
export { createIncremental, IncrementalTiering } from './incremental.ts';
export type { ContactsToLoad, IncrementalChanges, IncrementalResult, RecordRef } from './incremental.ts';
export type { TierCounts } from './incremental-counts.ts';
export type { IncrementalRow, CompanySeatRow } from './incremental-rows.ts';
export type { IncrementalDelta } from './incremental-delta.ts';
