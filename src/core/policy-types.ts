/** The policy as an admin writes it (spec §2). `validatePolicy` turns unknown JSON into this. */

export type Scalar = number | string | boolean;

export const LEAF_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists'] as const;
export type LeafOperator = (typeof LEAF_OPERATORS)[number];

export interface AllCondition {
  readonly all: readonly Condition[];
}
export interface AnyCondition {
  readonly any: readonly Condition[];
}
export interface NotCondition {
  readonly not: Condition;
}
export interface LeafCondition {
  readonly field: string;
  readonly eq?: Scalar;
  readonly neq?: Scalar;
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly in?: readonly Scalar[];
  readonly notIn?: readonly Scalar[];
  readonly exists?: boolean;
}
export type Condition = AllCondition | AnyCondition | NotCondition | LeafCondition;

export interface Tier {
  readonly value: string;
  readonly label: string;
}

export interface Rule {
  readonly tier: string;
  readonly when: Condition;
  readonly label?: string | undefined;
}
export interface Cap {
  readonly maxTier: string;
  readonly when: Condition;
  readonly label?: string | undefined;
}
export interface Floor {
  readonly minTier: string;
  readonly when: Condition;
  readonly label?: string | undefined;
}

export interface RankKey {
  readonly field: string;
  readonly order: 'asc' | 'desc';
}

export type Seats = number | { readonly csms: number; readonly accountsPerCsm: number };

export interface Capacity {
  readonly max: Seats;
  readonly rankBy: readonly RankKey[];
  readonly preferIncumbents?: boolean | undefined;
}

export interface Hysteresis {
  readonly demotionMargin?: number | undefined;
  readonly minDaysInTier?: number | undefined;
}

export interface CompanySection {
  readonly default?: string | undefined;
  readonly rules?: readonly Rule[] | undefined;
  readonly caps?: readonly Cap[] | undefined;
  readonly floors?: readonly Floor[] | undefined;
  readonly capacity?: Readonly<Record<string, Capacity>> | undefined;
  readonly hysteresis?: Hysteresis | undefined;
}

export interface ContactSection {
  readonly default?: string | undefined;
  readonly inherit?: 'company' | 'none' | undefined;
  readonly rules?: readonly Rule[] | undefined;
  readonly caps?: readonly Cap[] | undefined;
  readonly floors?: readonly Floor[] | undefined;
  readonly hysteresis?: Hysteresis | undefined;
}

export interface Policy {
  readonly version: 1;
  readonly tiers: readonly Tier[];
  /**
   * RightTouch's extension to spec §2, read by the sync and never by a decision: a tier a person
   * set by hand in the CRM is put back (`revert`, the default) or kept as the record's override.
   */
  readonly manualEdits?: 'revert' | 'keepAsOverride' | undefined;
  readonly company?: CompanySection | undefined;
  readonly contact?: ContactSection | undefined;
}

/** One thing wrong with a policy: where (`company.rules[2].tier`) and what was expected. */
export interface PolicyProblem {
  readonly path: string;
  readonly message: string;
}
