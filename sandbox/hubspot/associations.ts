/**
 * Associations between records. The sandbox keeps one primary company per contact and deal
 * (`CrmRecord.companyId`); the company → contacts/deals direction is a reverse index built on
 * demand and rebuilt when the contact/deal store changes.
 */
import type { CrmRecord, ObjectType, Portal } from './model.ts';

export interface Association {
  readonly id: string;
  /** Whether this is the primary association (only the primary exists in the sandbox). */
  readonly primary: boolean;
}

/** Association type ids (SDK `AssociationTypes`; reference §3): [primary, unlabeled]. */
const TYPE_IDS: Readonly<Record<string, readonly [number, number]>> = {
  'contacts->companies': [1, 279],
  'companies->contacts': [2, 280],
  'deals->companies': [5, 341],
  'companies->deals': [6, 342],
};

const SINGULAR: Readonly<Record<ObjectType, string>> = { companies: 'company', contacts: 'contact', deals: 'deal' };

export function isSupportedPair(from: ObjectType, to: ObjectType): boolean {
  return Object.hasOwn(TYPE_IDS, `${from}->${to}`);
}

/** The v4 `associationTypes` of one association. */
export function v4Types(
  from: ObjectType,
  to: ObjectType,
  association: Association,
): { category: string; typeId: number; label: string | null }[] {
  const [primary, unlabeled] = TYPE_IDS[`${from}->${to}`] ?? [0, 0];
  const types = [{ category: 'HUBSPOT_DEFINED', typeId: unlabeled, label: null as string | null }];
  if (association.primary) types.unshift({ category: 'HUBSPOT_DEFINED', typeId: primary, label: 'Primary' });
  return types;
}

/**
 * The v3 inline `associations.{toType}.results` entries: like HubSpot, a primary association is
 * listed twice, as `deal_to_company` (primary) and `deal_to_company_unlabeled`.
 */
export function v3Entries(
  from: ObjectType,
  to: ObjectType,
  associations: readonly Association[],
): { id: string; type: string }[] {
  const base = `${SINGULAR[from]}_to_${SINGULAR[to]}`;
  return associations.flatMap((a) =>
    a.primary
      ? [
          { id: a.id, type: base },
          { id: a.id, type: `${base}_unlabeled` },
        ]
      : [{ id: a.id, type: `${base}_unlabeled` }],
  );
}

interface ReverseIndex {
  readonly version: number;
  readonly byCompany: Map<string, string[]>;
}

export class AssociationIndex {
  readonly #portal: Portal;
  readonly #reverse = new Map<ObjectType, ReverseIndex>();

  constructor(portal: Portal) {
    this.#portal = portal;
  }

  /** The records of `to` associated with `record` (of type `from`), ascending by id. */
  of(from: ObjectType, record: CrmRecord, to: ObjectType): Association[] {
    if (to === 'companies' && from !== 'companies') {
      const company = record.companyId;
      return company !== null && this.#portal.objects.companies.records.has(company)
        ? [{ id: company, primary: true }]
        : [];
    }
    if (from === 'companies' && to !== 'companies') {
      return (this.#reverseIndex(to).get(record.id) ?? []).map((id) => ({ id, primary: true }));
    }
    return [];
  }

  #reverseIndex(type: ObjectType): Map<string, string[]> {
    const store = this.#portal.objects[type];
    const cached = this.#reverse.get(type);
    if (cached?.version === store.version) return cached.byCompany;
    const byCompany = new Map<string, string[]>();
    for (const id of store.order) {
      const record = store.records.get(String(id));
      if (record?.companyId == null) continue;
      const list = byCompany.get(record.companyId);
      if (list === undefined) byCompany.set(record.companyId, [record.id]);
      else list.push(record.id);
    }
    this.#reverse.set(type, { version: store.version, byCompany });
    return byCompany;
  }
}
