/**
 * Hand edits, between pull and classify: the policy's `manualEdits` (RightTouch's extension to the
 * spec's policy) says what a sync does with a tier a person set by hand in the CRM.
 *
 * - `revert` (the default): nothing here; the diff writes RightTouch's value back, as for any
 *   value the CRM shows that was not written (a lost write, an app's or a workflow's change).
 * - `keepAsOverride`: among the records whose CRM value is not what was last written (`CrmValues`:
 *   usually few), those whose CRM tier is another tier of the policy are asked of the connector —
 *   who last set the tier property, from the CRM's history (`tierSetters`). Where a person did
 *   (what counts as "by hand" is each connector's: see connectors/README.md) and the value they set
 *   is the one the CRM shows, the tier is written to the record's override property in the CRM and
 *   into the mirror's override, so the core decides it (spec §4 step 1) and the record keeps the
 *   person's tier. A value that is not a tier, one set by an app, a workflow or an import, a record
 *   the CRM has no history for, a connector without history, and a mapping without an override
 *   property: put back as with `revert`. A record whose override write the CRM refuses is put back
 *   too (the next sync that reads it asks again). A dry run writes nothing to the CRM but sets the
 *   mirror's override, so what it reports is what a real run would do (the next run reads the
 *   record from the CRM again).
 *
 * The reason: the core words an override "Manual override → High-touch" (`overrideReason`) and
 * knows nothing of who set it. `handReasons` rewrites the reason of a decision made by such an
 * override to "Set by hand by Dana Whitfield on 2026-12-07 → High-touch" — in the run that kept
 * the edit, from the connector's answer, and in later runs from the reason last written (for as
 * long as the override stands at that tier). It changes no tier: only the words of a decision the
 * override already made. The history entry the record phase writes carries the same reason, so it
 * names who and when.
 */
import { overrideReason } from '../../core/index.ts';
import type { Policy, RecordType } from '../../core/index.ts';
import type { Mapping } from '../../mapping/mapping.ts';
import type { DisplayedRecord, Store } from '../../store/store.ts';
import type { Connector } from '../connector.ts';
import { HAND_REASON_PREFIX } from '../last-written.ts';
import type { LastWritten, LastWrittenLookup } from '../last-written.ts';
import type { HintedDecision } from '../next-hint.ts';
import type { CrmValues } from './pull.ts';

export { HAND_REASON_PREFIX };

/** A hand edit kept this run: the tier, who set it and when (epoch ms). */
export interface HandEdit {
  readonly tier: string;
  readonly by: string;
  readonly at: number;
}

/**
 * The hand edits kept this run, by record; those of earlier runs are known by the reasons last
 * written (`LastWritten.handReasons`), for the records a run decides.
 */
export class HandEdits {
  private readonly fresh = new Map<string, HandEdit>();

  get kept(): number {
    return this.fresh.size;
  }

  keep(type: RecordType, id: string, edit: HandEdit): void {
    this.fresh.set(`${type}\u0000${id}`, edit);
  }

  /**
   * The decision with its reason saying who set the tier by hand and when, when its override is
   * such a tier (kept this run, or written so before); else the decision as it is.
   */
  handReasons(decision: HintedDecision, policy: Policy, before: LastWritten | undefined): HintedDecision {
    if (this.fresh.size === 0 && before?.handReasons === undefined) return decision;
    const label = policy.tiers.find((t) => t.value === decision.tier)?.label ?? decision.tier;
    if (decision.reasons.length !== 1 || decision.reasons[0] !== overrideReason(label)) return decision;
    const key = `${decision.type}\u0000${decision.id}`;
    const edit = this.fresh.get(key);
    if (edit !== undefined && edit.tier === decision.tier) {
      return { ...decision, reasons: [handReason(edit, label)] };
    }
    const written = before?.handReasons;
    return written !== undefined && before?.tier === decision.tier ? { ...decision, reasons: written } : decision;
  }

  clear(): void {
    this.fresh.clear();
  }
}

/** "Set by hand by Dana Whitfield on 2026-12-07 → High-touch" (the date in UTC, as the core writes dates). */
export function handReason(edit: HandEdit, label: string): string {
  const on = Number.isFinite(edit.at) ? ` on ${new Date(edit.at).toISOString().slice(0, 10)}` : '';
  return `${HAND_REASON_PREFIX}${edit.by}${on} → ${label}`;
}

export interface HandEditOptions {
  readonly store: Store;
  readonly connector: Connector;
  readonly installationId: string;
  readonly mapping: Mapping;
  readonly policy: Policy;
  readonly dryRun: boolean;
  /** The time the mirrored records are stamped with. */
  readonly startedAt: number;
}

/** The tier part of a tier value (tier-value.ts: tier, reason and hint joined by NUL). */
function tierOf(value: string): string {
  const end = value.indexOf('\u0000');
  return end < 0 ? value : value.slice(0, end);
}

/** With `keepAsOverride`, copies the tiers people set by hand into the override (CRM and mirror). */
export async function keepHandEdits(
  options: HandEditOptions,
  crmValues: CrmValues,
  lastWritten: LastWrittenLookup,
  edits: HandEdits,
): Promise<void> {
  const { connector, mapping, policy } = options;
  if (policy.manualEdits !== 'keepAsOverride' || connector.tierSetters === undefined || crmValues.size === 0) return;
  const tiers = new Set(policy.tiers.map((t) => t.value));
  const candidates: Record<RecordType, DisplayedRecord[]> = { company: [], contact: [] };
  const shown = new Map<string, string>();
  for (const { value, record } of crmValues.entries()) {
    const tier = tierOf(value);
    if (!tiers.has(tier) || tier === lastWritten.get(record.type, record.id)?.tier) continue;
    if (typeof record.override === 'string' && record.override.trim() === tier) continue;
    candidates[record.type].push(record);
    shown.set(`${record.type}\u0000${record.id}`, tier);
  }
  for (const type of ['company', 'contact'] as const) {
    const property = mapping[type].override;
    const records = candidates[type];
    if (property === undefined || records.length === 0) continue;
    const setters = await connector.tierSetters(
      type,
      records.map((r) => r.id),
    );
    const kept: { record: DisplayedRecord; edit: HandEdit }[] = [];
    for (const record of records) {
      const setter = setters.get(record.id);
      const tier = shown.get(`${type}\u0000${record.id}`);
      if (setter?.byPerson !== true || tier === undefined || setter.value !== tier) continue;
      kept.push({ record, edit: { tier, by: setter.by, at: setter.at } });
    }
    if (kept.length === 0) continue;
    let refused = new Set<string>();
    if (!options.dryRun) {
      const updates = kept.map(({ record, edit }) => ({ id: record.id, properties: { [property]: edit.tier } }));
      const result = await connector.update(type, updates);
      refused = new Set(result.rejected.map((r) => r.id));
    }
    const done = kept.filter(({ record }) => !refused.has(record.id));
    await options.store.upsertRecords(
      options.installationId,
      done.map(({ record, edit }) => ({ ...record, override: edit.tier })),
      options.startedAt,
    );
    for (const { record, edit } of done) edits.keep(type, record.id, edit);
  }
}
