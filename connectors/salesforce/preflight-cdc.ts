/**
 * Preflight for Change Data Capture (when it is on): which of Account, Contact, Lead and Opportunity
 * the org has selected for CDC (Tooling `PlatformEventChannelMember`, standard `ChangeEvents` channel
 * or RightTouch's `RightTouch__chn`: Change Data Capture guide, "Get Custom Channels and Channel
 * Members"; needs View Setup and Configuration), whether RightTouch's filtered channel is there, and
 * whether the integration user may receive the events: a change event subscriber needs View All
 * Data, or View All on the object (Change Data Capture guide, "Required Permissions for Change Event
 * Subscribers"). Permissions are read from the user's permission set assignments, which include the
 * profile's own permission set (`IsOwnedByProfile`). These are warnings: syncs work without CDC.
 */
import { channelMembers, channelOf, CUSTOM_CHANNEL, ownWritesFilter, WATCHED_OBJECTS } from './cdc-channels.ts';
import type { SalesforceContext } from './context.ts';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function selectionWarnings(context: SalesforceContext, userId: string): Promise<string[]> {
  let members;
  try {
    members = await channelMembers(context);
  } catch (error) {
    return [
      `cannot read the org's Change Data Capture selection (needs View Setup and Configuration): ${message(error)}`,
    ];
  }
  const warnings: string[] = [];
  const ours = members.filter((m) => channelOf(m) === CUSTOM_CHANNEL);
  const standard = new Set(members.filter((m) => channelOf(m) === 'ChangeEvents').map((m) => m.SelectedEntity));
  const unselected = WATCHED_OBJECTS.filter(
    (o) => !standard.has(`${o}ChangeEvent`) && !ours.some((m) => m.SelectedEntity === `${o}ChangeEvent`),
  );
  if (unselected.length > 0) {
    warnings.push(
      `not selected for Change Data Capture: ${unselected.join(', ')} — their changes wait for the scheduled sync ` +
        `(run setup to create ${CUSTOM_CHANNEL}, or select them in Setup → Change Data Capture)`,
    );
  }
  if (ours.length === 0) {
    warnings.push(
      `the Change Data Capture channel ${CUSTOM_CHANNEL} is missing (setup creates it; it needs Customize Application): ` +
        "RightTouch listens on the objects' own channels, where its own writes are delivered and count against " +
        "the org's daily event allocation",
    );
  } else if (ours.some((m) => (m.FilterExpression ?? '') !== ownWritesFilter(userId))) {
    warnings.push(
      `the filter of ${CUSTOM_CHANNEL} does not leave out this integration user's own changes: run setup again`,
    );
  }
  return warnings;
}

async function permissionWarnings(context: SalesforceContext, userId: string): Promise<string[]> {
  try {
    const assigned = await context.call(
      async () =>
        await context.conn.query<{ PermissionSetId: string }>(
          `SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '${userId.replace(/[^A-Za-z0-9]/g, '')}'`,
        ),
    );
    const ids = assigned.records.map((r) => `'${r.PermissionSetId.replace(/[^A-Za-z0-9]/g, '')}'`);
    if (ids.length > 0) {
      const viewAll = await context.call(
        async () =>
          await context.conn.query<{ Id: string }>(
            `SELECT Id FROM PermissionSet WHERE Id IN (${ids.join(', ')}) AND PermissionsViewAllData = true`,
          ),
      );
      if (viewAll.records.length > 0) return [];
    }
    const objects =
      ids.length === 0
        ? []
        : (
            await context.call(
              async () =>
                await context.conn.query<{ SobjectType: string }>(
                  `SELECT SobjectType FROM ObjectPermissions WHERE ParentId IN (${ids.join(', ')}) AND PermissionsViewAllRecords = true`,
                ),
            )
          ).records.map((r) => r.SobjectType);
    const lacking = WATCHED_OBJECTS.filter((o) => !objects.includes(o));
    return lacking.length === 0
      ? []
      : [
          `the integration user lacks View All Data and View All on ${lacking.join(', ')}: Salesforce delivers ` +
            'no change events for those objects to it (their changes wait for the scheduled sync)',
        ];
  } catch (error) {
    return [`cannot read the integration user's permissions for Change Data Capture: ${message(error)}`];
  }
}

export async function changeEventWarnings(context: SalesforceContext, userId: string): Promise<string[]> {
  return [...(await selectionWarnings(context, userId)), ...(await permissionWarnings(context, userId))];
}
