/**
 * The fake org's Change Data Capture event bus, with the parts of the real one that hurt:
 *
 * - Only selected entities publish: a `PlatformEventChannelMember` of the standard `ChangeEvents`
 *   channel or of a custom `<Name>__chn` channel selects one (Setup › Change Data Capture does the
 *   same). `/data/ChangeEvents` carries every entity selected on the standard channel,
 *   `/data/<Entity>ChangeEvent` one of them, `/data/<Name>__chn` the members of that channel, each
 *   through its member's filter expression (change-filter.ts).
 * - Events are kept 72 hours; a subscribe with a replay id no longer retained is refused with
 *   `400::The replayId {X} you provided was invalid.  Please provide a valid ID, -2 to replay all
 *   events, or -1 to replay only new events.` (the exact text: forcedotcom/EMP-Connector issue #14;
 *   retention: Change Data Capture guide, "Change Event Storage and Delivery").
 * - Every event delivered to a CometD client counts against the org's 24-hour delivery allocation,
 *   shared by all clients (Developer Edition 10,000; Enterprise 25,000; Unlimited 50,000); events a
 *   filter drops do not count ("Event Delivery Usage for Filtered Streams"). `/limits` reports it as
 *   `DailyDeliveredPlatformEvents`; past it `/meta/connect` answers
 *   `403::Organization total events daily limit exceeded`.
 * - `changeOrigin` carries the `Sforce-Call-Options` client of the API call that made the change;
 *   `commitUser` is the user who made it.
 */
import { FilterError, matchesFilter, parseFilter, type FilterNode } from './change-filter.ts';
import type { SfRecord, Value } from './model.ts';

export const RETENTION_MS = 72 * 3_600_000;
export const DEFAULT_DAILY_DELIVERY_LIMIT = 10_000;
export const STANDARD_CHANNEL = 'ChangeEvents';

export interface ChannelMember {
  readonly id: string;
  /** `ChangeEvents` or `<Name>__chn`. */
  readonly eventChannel: string;
  /** `AccountChangeEvent`, … */
  readonly selectedEntity: string;
  readonly filterExpression: string | null;
  readonly filter: FilterNode | undefined;
}

export interface StoredChangeEvent {
  readonly replayId: number;
  readonly time: number;
  readonly entityName: string;
  readonly header: Record<string, unknown>;
  readonly fields: Record<string, Value>;
}

export interface ChangeBy {
  readonly userId: string;
  /** The API call's `Sforce-Call-Options` header, if any (`client=RightTouch`). */
  readonly callOptions?: string | undefined;
  /** `rest` or `bulk`: the API the change came through. */
  readonly api?: 'rest' | 'bulk';
}

export class ChangeEventBus {
  readonly events: StoredChangeEvent[] = [];
  readonly members = new Map<string, ChannelMember>();
  /** Custom channels by full name (`RightTouch__chn`). */
  readonly channels = new Set<string>();
  /** Events delivered to CometD clients in the current UTC day (tests may set it). */
  delivered = 0;
  /** Events delivered per channel path (all days). */
  readonly deliveredByChannel: Record<string, number> = {};
  dailyDeliveryLimit = DEFAULT_DAILY_DELIVERY_LIMIT;
  #deliveryDay = '';
  #nextReplayId = 11_873_412;
  #transaction = 0;
  #memberIds = 0;

  /** Selects an entity on a channel (the standard one or an existing custom one). */
  addMember(eventChannel: string, selectedEntity: string, filterExpression: string | null = null): ChannelMember {
    if (eventChannel !== STANDARD_CHANNEL && !this.channels.has(eventChannel)) {
      throw new FilterError(`no such channel: ${eventChannel}`);
    }
    const filter = filterExpression === null || filterExpression === '' ? undefined : parseFilter(filterExpression);
    const member: ChannelMember = {
      id: `0v8${String(++this.#memberIds).padStart(12, '0')}AAA`,
      eventChannel,
      selectedEntity,
      filterExpression,
      filter,
    };
    this.members.set(member.id, member);
    return member;
  }

  /** Selects entities on the standard channel (`Account` → `AccountChangeEvent`). */
  select(...entities: string[]): void {
    for (const entity of entities) this.addMember(STANDARD_CHANNEL, `${entity}ChangeEvent`);
  }

  #selected(entity: string): boolean {
    return [...this.members.values()].some((m) => m.selectedEntity === `${entity}ChangeEvent`);
  }

  /** Publishes a change to records, when the entity is selected for CDC. */
  publish(
    records: readonly SfRecord[],
    changeType: string,
    by: ChangeBy,
    now: number,
    changedFields: readonly string[] = [],
  ): void {
    const first = records[0];
    if (first === undefined || !this.#selected(first.type)) return;
    const api = by.api ?? 'rest';
    const client = /(?:^|[;,\s])client=([^;,\s]+)/.exec(by.callOptions ?? '')?.[1];
    const origin = `com/salesforce/api/${api}/66.0${client === undefined ? '' : `;client=${client}`}`;
    const transactionKey = `00${(++this.#transaction).toString(16).padStart(6, '0')}-txn`;
    for (const record of records) {
      this.#nextReplayId += 1 + (this.#nextReplayId % 3); // opaque, not contiguous
      this.events.push({
        replayId: this.#nextReplayId,
        time: now,
        entityName: record.type,
        header: {
          entityName: record.type,
          recordIds: [record.values['Id']],
          changeType,
          changeOrigin: origin,
          transactionKey,
          sequenceNumber: 1,
          commitTimestamp: now,
          commitNumber: this.#nextReplayId * 7,
          commitUser: by.userId,
          changedFields: [...changedFields],
          nulledFields: [],
          diffFields: [],
        },
        fields: { ...record.values },
      });
    }
    this.prune(now);
  }

  /** Drops events older than the retention window. */
  prune(now: number): void {
    const cut = this.events.findIndex((e) => e.time >= now - RETENTION_MS);
    this.events.splice(0, cut < 0 ? this.events.length : cut);
  }

  latestReplayId(): number {
    return this.events.at(-1)?.replayId ?? this.#nextReplayId;
  }

  /** Whether a stored replay id can be resumed from (a retained event's id). */
  isRetained(replayId: number, now: number): boolean {
    this.prune(now);
    return this.events.some((e) => e.replayId === replayId);
  }

  /** The members behind a channel path, or undefined when the path names no channel. */
  membersOf(path: string): ChannelMember[] | undefined {
    const name = /^\/data\/(\w+)$/.exec(path)?.[1];
    if (name === undefined) return undefined;
    const all = [...this.members.values()];
    if (name === STANDARD_CHANNEL) return all.filter((m) => m.eventChannel === STANDARD_CHANNEL);
    if (name.endsWith('__chn')) {
      return this.channels.has(name) ? all.filter((m) => m.eventChannel === name) : undefined;
    }
    const member = all.find((m) => m.eventChannel === STANDARD_CHANNEL && m.selectedEntity === name);
    return member === undefined ? undefined : [{ ...member, filter: undefined, filterExpression: null }];
  }

  /** Events on a channel after a replay id, through the members' filters. */
  eventsAfter(path: string, after: number, now: number): StoredChangeEvent[] {
    this.prune(now);
    const members = this.membersOf(path) ?? [];
    return this.events.filter((event) => {
      if (event.replayId <= after) return false;
      const member = members.find((m) => m.selectedEntity === `${event.entityName}ChangeEvent`);
      return member !== undefined && (member.filter === undefined || matchesFilter(member.filter, event));
    });
  }

  /** Whether `count` more deliveries fit in today's allocation (none fit once it is used up). */
  canDeliver(count: number, now: number): boolean {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.#deliveryDay) {
      this.#deliveryDay = day;
      this.delivered = 0;
    }
    return this.delivered < this.dailyDeliveryLimit && this.delivered + count <= this.dailyDeliveryLimit;
  }

  /** Counts deliveries to a CometD client against the allocation. */
  deliver(path: string, count: number, now: number): void {
    this.canDeliver(0, now);
    this.delivered += count;
    this.deliveredByChannel[path] = (this.deliveredByChannel[path] ?? 0) + count;
  }
}
