/**
 * What people do in a HubSpot portal besides editing values — delete, merge, move a contact to
 * another company, ask to be forgotten — applied to the sandbox portal, with the webhook events
 * HubSpot sends for them, so the receiver meets more than clean property changes.
 *
 * The events follow HubSpot's webhooks guide (event fields; `contact.privacyDeletion`, and the
 * merge fields `primaryObjectId`, `mergedObjectIds`, `newObjectId`, `numberOfPropertiesMoved`;
 * association changes with `associationType` such as `CONTACT_TO_COMPANY`, `fromObjectId`,
 * `toObjectId`, `associationRemoved`, `isPrimaryAssociation`, sent once per direction) and the
 * payloads other integrations captured: optional fields that do not apply come as `null` rather
 * than missing (`newObjectId` on a merge that kept the primary's id, `sourceId` when no app or
 * user is named — shared/reference/fidelity-2026-12.md, HubSpot row 3; secondhand). `changeFlag`
 * values (`DELETED`, `MERGED`) are from the same captures. A privacy deletion
 * (GDPR) is sent as `contact.privacyDeletion` (the 2026.03 template lists it under
 * `hubEvents`), and a contact deleted that way is also gone from the portal.
 */
import { singular, type WebhookEmitter } from './webhooks.ts';
import type { CrmRecord, ObjectType, Portal } from './model.ts';

const USER = { changeSource: 'CRM_UI', sourceId: 'userId:1' } as const;

/** A contact's or deal's primary company; a contact's `associatedcompanyid` says the same (store.ts). */
function setCompany(type: ObjectType, record: CrmRecord, companyId: string | null): void {
  record.companyId = companyId;
  if (type === 'contacts') record.properties['associatedcompanyid'] = companyId ?? '';
}

/** Removes a record from its store (list order included); associations to it are dropped. No event: the `…AndEmit` actions below send it. */
export function removeRecord(portal: Portal, type: ObjectType, id: string): CrmRecord | undefined {
  const store = portal.objects[type];
  const record = store.records.get(id);
  if (record === undefined) return undefined;
  store.records.delete(id);
  const at = store.order.indexOf(Number(id));
  if (at >= 0) store.order.splice(at, 1);
  store.version++;
  if (type === 'companies') {
    for (const other of ['contacts', 'deals'] as const) {
      for (const r of portal.objects[other].records.values()) if (r.companyId === id) setCompany(other, r, null);
      portal.objects[other].version++;
    }
  }
  return record;
}

function must(portal: Portal, type: ObjectType, id: string): CrmRecord {
  const record = portal.objects[type].records.get(id);
  if (record === undefined) throw new Error(`no ${singular(type)} ${id} in the sandbox portal`);
  return record;
}

/** A user deletes a record in the CRM: `{type}.deletion`. */
export function deleteAndEmit(
  emitter: WebhookEmitter,
  portal: Portal,
  type: ObjectType,
  id: string,
  now: number,
): void {
  must(portal, type, id);
  removeRecord(portal, type, id);
  emitter.emit({
    subscriptionType: `${singular(type)}.deletion`,
    objectId: id,
    occurredAt: now,
    changeFlag: 'DELETED',
    ...USER,
  });
}

/** A contact's data is deleted on their request (GDPR): `contact.privacyDeletion`; the contact is gone. */
export function privacyDeleteAndEmit(emitter: WebhookEmitter, portal: Portal, contactId: string, now: number): void {
  must(portal, 'contacts', contactId);
  removeRecord(portal, 'contacts', contactId);
  emitter.emit({
    subscriptionType: 'contact.privacyDeletion',
    objectId: contactId,
    occurredAt: now,
    changeSource: 'CRM_UI',
    sourceId: null,
  });
}

/**
 * A user merges `loserId` into `primaryId` (same type): the primary keeps its id and values, takes
 * the loser's where it has none, and its associations; the loser is gone. `{type}.merge` names the
 * primary, the merged id, and `newObjectId: null` (no new record was made).
 */
export function mergeAndEmit(
  emitter: WebhookEmitter,
  portal: Portal,
  type: ObjectType,
  primaryId: string,
  loserId: string,
  now: number,
): void {
  const primary = must(portal, type, primaryId);
  const loser = must(portal, type, loserId);
  let moved = 0;
  for (const [name, value] of Object.entries(loser.properties)) {
    if ((primary.properties[name] ?? '') === '' && value !== '') {
      primary.properties[name] = value;
      moved++;
    }
  }
  if (primary.companyId === null && type !== 'companies') setCompany(type, primary, loser.companyId);
  if (type === 'companies') {
    for (const other of ['contacts', 'deals'] as const) {
      for (const r of portal.objects[other].records.values())
        if (r.companyId === loserId) setCompany(other, r, primaryId);
      portal.objects[other].version++;
    }
  }
  primary.updatedAt = now;
  // Removing the loser bumps the store's version: cached search orders see the primary's changes too.
  removeRecord(portal, type, loserId);
  emitter.emit({
    subscriptionType: `${singular(type)}.merge`,
    objectId: primaryId,
    occurredAt: now,
    primaryObjectId: primaryId,
    mergedObjectIds: [loserId],
    newObjectId: null,
    numberOfPropertiesMoved: moved,
    changeFlag: 'MERGED',
    ...USER,
  });
}

/**
 * A user moves a contact to another company (or none): its primary company changes, and the
 * association changes go out — removed from the old company and added to the new, each in both
 * directions (`CONTACT_TO_COMPANY` and `COMPANY_TO_CONTACT`).
 */
export function moveContactAndEmit(
  emitter: WebhookEmitter,
  portal: Portal,
  contactId: string,
  companyId: string | null,
  now: number,
): void {
  const contact = must(portal, 'contacts', contactId);
  if (companyId !== null) must(portal, 'companies', companyId);
  const previous = contact.companyId;
  if (previous === companyId) return;
  setCompany('contacts', contact, companyId);
  contact.updatedAt = now;
  portal.objects.contacts.version++;
  const pair = (company: string, removed: boolean): void => {
    for (const [associationType, from, to] of [
      ['CONTACT_TO_COMPANY', contactId, company],
      ['COMPANY_TO_CONTACT', company, contactId],
    ] as const) {
      emitter.emit({
        subscriptionType: associationType.startsWith('CONTACT')
          ? 'contact.associationChange'
          : 'company.associationChange',
        objectId: from,
        occurredAt: now,
        associationType,
        fromObjectId: Number(from),
        toObjectId: Number(to),
        associationRemoved: removed,
        isPrimaryAssociation: true,
        changeSource: 'CRM_UI',
        sourceId: null,
      });
    }
  };
  if (previous !== null) pair(previous, true);
  if (companyId !== null) pair(companyId, false);
}
