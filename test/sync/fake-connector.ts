/** An in-memory CRM behind the Connector interface, for testing the sync engine. */
import type { Tier } from '../../src/core/index.ts';
import type { CrmObject } from '../../src/mapping/mapping.ts';
import type {
  Connector,
  CrmDeal,
  ReadOptions,
  RecordUpdate,
  Removal,
  SetupReport,
  TierProperties,
  WriteResult,
} from '../../src/sync/connector.ts';

interface Stored {
  id: string;
  properties: Record<string, string | null>;
  modifiedAt: number;
  companyId?: string | null;
}

export class FakeCrm implements Connector {
  readonly crm = 'hubspot' as const;
  /** HubSpot's, as the HubSpot connector sets them (tests may put others). */
  tierProperties: TierProperties = {
    tier: 'engagement_model',
    reason: 'engagement_model_reason',
    next: 'engagement_model_next',
    updatedAt: 'engagement_model_updated_at',
  };
  writeBatchSize = 100;
  recordsPerWriteCall = 100;
  apiCalls = 0;
  /** The CRM's clock (epoch ms): modification times come from it. */
  now: () => number;
  readonly objects = {
    companies: new Map<string, Stored>(),
    contacts: new Map<string, Stored>(),
    deals: new Map<string, Stored>(),
  };
  readonly updateCalls: { type: string; updates: RecordUpdate[] }[] = [];
  /** Ids the CRM refuses to update (deleted/merged), with the error it gives. */
  readonly refuse = new Map<string, string>();
  failUpdates = false;
  /** What `readRemovals` reports (with the CRM time it happened). */
  readonly removals: (Removal & { at: number })[] = [];

  constructor(now: () => number) {
    this.now = now;
  }

  put(type: 'companies' | 'contacts', id: string, properties: Record<string, string | null>): void {
    this.objects[type].set(id, { id, properties, modifiedAt: this.now() });
  }

  putDeal(id: string, companyId: string | null, properties: Record<string, string | null>): void {
    this.objects.deals.set(id, { id, properties, modifiedAt: this.now(), companyId });
  }

  change(type: 'companies' | 'contacts' | 'deals', id: string, properties: Record<string, string | null>): void {
    const object = this.objects[type].get(id);
    if (object === undefined) throw new Error(`no ${type} ${id}`);
    Object.assign(object.properties, properties);
    object.modifiedAt = this.now();
  }

  identify(): Promise<{ externalId: string; name: string | null }> {
    return Promise.resolve({ externalId: 'portal-1', name: 'Fake portal' });
  }

  setup(tiers: readonly Tier[]): Promise<SetupReport> {
    return Promise.resolve({ changes: tiers.map((t) => `option ${t.value}`) });
  }

  preflight(): Promise<{ missingProperties: Record<string, never>; problems: string[] }> {
    return Promise.resolve({ missingProperties: {}, problems: [] });
  }

  private *pages(type: 'companies' | 'contacts' | 'deals', options: ReadOptions): Generator<Stored[]> {
    const since = options.modifiedSince;
    const matching = [...this.objects[type].values()].filter((o) => since === undefined || o.modifiedAt >= since);
    for (let i = 0; i < matching.length; i += 2) {
      this.apiCalls++;
      yield matching.slice(i, i + 2);
    }
  }

  async *read(type: 'companies' | 'contacts', options: ReadOptions): AsyncIterable<CrmObject[]> {
    for (const page of this.pages(type, options)) {
      await Promise.resolve();
      yield page.map((o) => ({ id: o.id, properties: pick(o.properties, options.properties) }));
    }
  }

  async *readDeals(options: ReadOptions): AsyncIterable<CrmDeal[]> {
    for (const page of this.pages('deals', options)) {
      await Promise.resolve();
      yield page.map((o) => ({
        id: o.id,
        properties: pick(o.properties, options.properties),
        companyId: o.companyId ?? null,
      }));
    }
  }

  /** Ids asked of `readByIds`/`readDealsByIds`, per call. */
  readonly byIdCalls: { type: string; ids: string[] }[] = [];

  async *readByIds(type: 'companies' | 'contacts', ids: readonly string[], properties: readonly string[]) {
    for await (const page of this.byIds(type, ids, properties))
      yield page.map(({ id, properties: p }) => ({ id, properties: p }));
  }

  async *readDealsByIds(ids: readonly string[], properties: readonly string[]): AsyncIterable<CrmDeal[]> {
    yield* this.byIds('deals', ids, properties);
  }

  private async *byIds(
    type: 'companies' | 'contacts' | 'deals',
    ids: readonly string[],
    properties: readonly string[],
  ): AsyncIterable<CrmDeal[]> {
    for (let i = 0; i < ids.length; i += 2) {
      this.apiCalls++;
      this.byIdCalls.push({ type, ids: ids.slice(i, i + 2) });
      await Promise.resolve();
      const found = ids
        .slice(i, i + 2)
        .map((id) => this.objects[type].get(id))
        .filter((o) => o !== undefined);
      yield found.map((o) => ({
        id: o.id,
        properties: pick(o.properties, properties),
        companyId: o.companyId ?? null,
      }));
    }
  }

  async *readRemovals(since: number | undefined): AsyncIterable<Removal[]> {
    this.apiCalls++;
    await Promise.resolve();
    yield this.removals
      .filter((r) => since === undefined || r.at >= since)
      .map(({ type, id, successorId, reason }) => ({ type, id, successorId, reason }));
  }

  update(type: 'company' | 'contact', updates: readonly RecordUpdate[]): Promise<WriteResult> {
    this.apiCalls++;
    if (this.failUpdates) return Promise.reject(new Error('connection reset'));
    this.updateCalls.push({ type, updates: [...updates] });
    const written: string[] = [];
    const rejected: { id: string; error: string }[] = [];
    const objects = type === 'company' ? this.objects.companies : this.objects.contacts;
    for (const update of updates) {
      const refusal = this.refuse.get(update.id);
      const object = objects.get(update.id);
      if (refusal !== undefined || object === undefined) {
        rejected.push({ id: update.id, error: refusal ?? 'OBJECT_NOT_FOUND' });
        continue;
      }
      Object.assign(object.properties, update.properties);
      object.modifiedAt = this.now();
      written.push(update.id);
    }
    return Promise.resolve({ written, rejected });
  }

  /** Every record written in update calls, as `type:id`. */
  writtenIds(): string[] {
    return this.updateCalls.flatMap((call) => call.updates.map((u) => `${call.type}:${u.id}`));
  }
}

function pick(properties: Record<string, string | null>, names: readonly string[]): Record<string, string | null> {
  return Object.fromEntries(names.map((name) => [name, properties[name] ?? null]));
}
