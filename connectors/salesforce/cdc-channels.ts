/**
 * Which Change Data Capture channel RightTouch listens on, and how setup creates it.
 *
 * Every change event delivered to a CometD client counts against the org's 24-hour delivery
 * allocation, shared by every integration (Developer Edition 10,000; Enterprise 25,000; Unlimited
 * 50,000 without an add-on: "Platform Event Allocations"). `/data/ChangeEvents` delivers every
 * entity the org selected, and RightTouch's own tier writes come back on it (a first sync: one event
 * per record written). So setup creates a custom channel `RightTouch__chn` (Tooling API
 * `PlatformEventChannel`, `channelType: data`) with one member per object (Account, Contact, Lead,
 * Opportunity) whose filter expression drops the integration user's own commits:
 * `ChangeEventHeader.commitUser != '<user id>'`. Salesforce evaluates the filter before delivery,
 * and only delivered events count ("Event Delivery Usage for Filtered Streams"). Header fields may be
 * filtered on except arrays; the operators are = != < <= > >= LIKE IN NOT IN joined by AND/OR — there
 * is no NOT LIKE, so `changeOrigin LIKE '%client=RightTouch%'` cannot be negated, and
 * `commitUser` is the field that expresses "not ours" (Change Data Capture guide: "Change Event
 * Filters", "Filter Expression Format", "Add a Filter with Tooling API"). The catch: other tools
 * that share the integration user are filtered too (the scheduled sync still picks their changes
 * up), and `changeOrigin` stays checked in code.
 *
 * Without the channel (setup could not create it: Customize Application is needed) RightTouch falls
 * back to the per-object channels `/data/<Object>ChangeEvent` of the objects the org selected for
 * CDC: no unrelated objects, but its own writes are delivered (and dropped in code). When the
 * selection cannot be read (no View Setup and Configuration), all four are tried and those
 * Salesforce refuses are left out.
 */
import type { SalesforceContext } from './context.ts';

export const CUSTOM_CHANNEL = 'RightTouch__chn';
export const WATCHED_OBJECTS = ['Account', 'Contact', 'Lead', 'Opportunity'] as const;

export interface ChannelChoice {
  /** Channel paths to subscribe. */
  readonly channels: readonly string[];
  /** Whether a stored replay id applies (one channel: ours). */
  readonly replay: boolean;
  /** The selection could not be read: channels Salesforce refuses are left out, not fatal. */
  readonly guessed: boolean;
}

interface MemberRow extends Record<string, unknown> {
  Id: string;
  DeveloperName?: string | null;
  EventChannel?: string | null;
  SelectedEntity?: string | null;
  FilterExpression?: string | null;
}

/** The filter that keeps RightTouch's own writes (those of its integration user) off the channel. */
export function ownWritesFilter(userId: string): string {
  return `ChangeEventHeader.commitUser != '${userId.replace(/[^A-Za-z0-9]/g, '')}'`;
}

async function toolingQuery<T extends Record<string, unknown>>(context: SalesforceContext, soql: string): Promise<T[]> {
  const result = await context.call(async () => await context.conn.tooling.query<T>(soql));
  return result.records;
}

/** Channel members in the org (needs View Setup and Configuration). */
export async function channelMembers(context: SalesforceContext): Promise<MemberRow[]> {
  return toolingQuery<MemberRow>(
    context,
    'SELECT Id, DeveloperName, EventChannel, SelectedEntity, FilterExpression FROM PlatformEventChannelMember',
  );
}

/** A member's channel name (`ChangeEvents`, `RightTouch__chn`), read leniently: name, or from DeveloperName. */
export function channelOf(member: MemberRow): string {
  const channel = member.EventChannel ?? '';
  if (channel === 'ChangeEvents' || channel.endsWith('__chn')) return channel;
  const name = member.DeveloperName ?? '';
  if (name.startsWith('RightTouch_chn_')) return CUSTOM_CHANNEL;
  if (name.startsWith('ChangeEvents_')) return 'ChangeEvents';
  return channel;
}

/** Our custom channel when the org has it, else the per-object channels of the selected objects. */
export async function chooseChannels(context: SalesforceContext): Promise<ChannelChoice> {
  let members: MemberRow[];
  try {
    members = await channelMembers(context);
  } catch {
    // Without View Setup and Configuration the selection is unknown: try every object's channel.
    return { channels: WATCHED_OBJECTS.map((o) => `/data/${o}ChangeEvent`), replay: false, guessed: true };
  }
  if (members.some((m) => channelOf(m) === CUSTOM_CHANNEL))
    return { channels: [`/data/${CUSTOM_CHANNEL}`], replay: true, guessed: false };
  const selected = new Set(members.filter((m) => channelOf(m) === 'ChangeEvents').map((m) => m.SelectedEntity));
  const channels = WATCHED_OBJECTS.filter((o) => selected.has(`${o}ChangeEvent`)).map((o) => `/data/${o}ChangeEvent`);
  if (channels.length === 0) throw new Error('no object is selected for Change Data Capture in this org');
  return { channels, replay: false, guessed: false };
}

/**
 * Creates (or corrects) RightTouch's custom channel and its four filtered members; returns what it
 * changed. Throws when the org refuses (no Customize Application): preflight then says so.
 */
export async function ensureChannel(context: SalesforceContext, userId: string): Promise<string[]> {
  const changes: string[] = [];
  const filter = ownWritesFilter(userId);
  const channels = await toolingQuery<{ Id: string; DeveloperName: string }>(
    context,
    'SELECT Id, DeveloperName FROM PlatformEventChannel',
  );
  if (!channels.some((c) => c.DeveloperName === CUSTOM_CHANNEL.replace(/__chn$/, ''))) {
    await context.call(
      async () =>
        await context.conn.tooling.sobject('PlatformEventChannel').create({
          FullName: CUSTOM_CHANNEL,
          Metadata: { channelType: 'data', label: 'RightTouch' },
        }),
    );
    changes.push(`created Change Data Capture channel ${CUSTOM_CHANNEL}`);
  }
  const ours = (await channelMembers(context)).filter((m) => channelOf(m) === CUSTOM_CHANNEL);
  for (const object of WATCHED_OBJECTS) {
    const entity = `${object}ChangeEvent`;
    const member = ours.find((m) => m.SelectedEntity === entity);
    const metadata = { eventChannel: CUSTOM_CHANNEL, selectedEntity: entity, filterExpression: filter };
    if (member === undefined) {
      await context.call(
        async () =>
          await context.conn.tooling
            .sobject('PlatformEventChannelMember')
            .create({ FullName: `RightTouch_chn_${entity}`, Metadata: metadata }),
      );
      changes.push(`added ${object} to ${CUSTOM_CHANNEL} (without the integration user's own changes)`);
    } else if (member.FilterExpression !== filter) {
      await context.call(
        async () =>
          await context.conn.tooling
            .sobject('PlatformEventChannelMember')
            .update({ Id: member.Id, Metadata: metadata }),
      );
      changes.push(`updated the ${object} filter of ${CUSTOM_CHANNEL}`);
    }
  }
  return changes;
}
