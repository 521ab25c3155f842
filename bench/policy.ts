/**
 * The benchmark's policy: four tiers, rules on dealSize/employees/leadScore, a digital cap, a
 * premier floor, hysteresis, and capacity on the two top tiers sized well below the demand the
 * generated book creates, so that ranking and moving down run at full scale.
 */
import { formatProblems, validatePolicy } from '../src/core/index.ts';
import type { Policy } from '../src/core/index.ts';

export const BENCH_POLICY = {
  version: 1,
  tiers: [
    { value: 'tech_touch', label: 'Tech-touch' },
    { value: 'low_touch', label: 'Low-touch' },
    { value: 'mid_touch', label: 'Mid-touch' },
    { value: 'high_touch', label: 'High-touch' },
  ],
  company: {
    default: 'tech_touch',
    rules: [
      { tier: 'high_touch', label: 'Enterprise deal size', when: { field: 'dealSize', gte: 100000 } },
      {
        tier: 'mid_touch',
        label: 'Mid-market',
        when: {
          any: [
            { field: 'dealSize', gte: 25000 },
            { field: 'employees', gte: 1000 },
          ],
        },
      },
      { tier: 'low_touch', when: { field: 'dealSize', gte: 5000 } },
    ],
    caps: [{ maxTier: 'low_touch', label: 'Prefers digital', when: { field: 'prefersDigital', eq: true } }],
    floors: [
      { minTier: 'high_touch', label: 'Premier support contract', when: { field: 'supportPlan', in: ['premier'] } },
    ],
    capacity: {
      high_touch: {
        max: { csms: 40, accountsPerCsm: 25 },
        rankBy: [
          { field: 'dealSize', order: 'desc' },
          { field: 'employees', order: 'desc' },
        ],
      },
      mid_touch: { max: 20000, rankBy: [{ field: 'dealSize', order: 'desc' }], preferIncumbents: true },
    },
    hysteresis: { demotionMargin: 0.1, minDaysInTier: 30 },
  },
  contact: {
    inherit: 'company',
    rules: [
      { tier: 'mid_touch', label: 'Hot lead', when: { field: 'leadScore', gte: 90 } },
      { tier: 'low_touch', when: { field: 'leadScore', gte: 50 } },
    ],
    caps: [{ maxTier: 'low_touch', when: { field: 'prefersDigital', eq: true } }],
    hysteresis: { demotionMargin: 0.1, minDaysInTier: 30 },
  },
};

/** The tier values, least touch first (the generator writes previous tiers from these). */
export const TIER_VALUES = BENCH_POLICY.tiers.map((tier) => tier.value);

/** The policy, validated the way the CLI validates a policy file; throws with every problem if not valid. */
export function benchPolicy(): Policy {
  const validation = validatePolicy(BENCH_POLICY);
  if (!validation.ok) throw new Error(`bench policy is not valid:\n${formatProblems(validation.problems)}`);
  return validation.policy;
}
