/**
 * Metadata API over SOAP (`POST /services/Soap/m/{version}`): create/update/upsertMetadata and
 * readMetadata for CustomField, PermissionSet and RecordType (existing ones: record-types.ts),
 * ListView (list-views.ts; deleteMetadata too), Layout, CompactLayout and the standard objects'
 * CustomObject settings (layouts.ts; with `enableHistory`, which CustomField's `trackHistory` needs:
 * field-history.ts), and listMetadata of those. The session comes from the
 * SessionHeader; an invalid one is an `sf:INVALID_SESSION_ID` fault with HTTP 500 (what makes
 * jsforce refresh). Component problems are `success=false` results with `errors`, never faults
 * (jsforce returns them rather than throwing); an element a type does not have is a fault. A
 * created custom field gets no field-level security: it stays invisible until a PermissionSet
 * granting it is assigned to the user.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SalesforceContext } from './context.ts';
import { param, userOf } from './context.ts';
import { isJwtShaped } from './auth.ts';
import { saveCompactLayout, saveCustomObject, saveLayout } from './layouts.ts';
import { components, listComponents } from './metadata-components.ts';
import { deleteListView, saveListView } from './list-views.ts';
import {
  type ComponentError,
  integrity,
  list,
  MetadataFault,
  type Mode,
  obj,
  type SaveOutcome,
  text,
} from './md-values.ts';
import { type FieldDef, type FieldType, type MdObject } from './model.ts';
import { customObjectMetadata, trackHistoryProblem } from './field-history.ts';
import { enableOnRecordTypes, saveRecordType } from './record-types.ts';
import { fieldDef } from './schema.ts';
import { child, escapeXml, mdToXml, parseXml, soapEnvelope, soapFault, toMd, type XmlElement } from './xml.ts';

const FIELD_TYPES: Record<string, FieldType> = {
  Picklist: 'picklist',
  LongTextArea: 'textarea',
  TextArea: 'textarea',
  Text: 'string',
  Email: 'email',
  Url: 'url',
  DateTime: 'datetime',
  Date: 'date',
  Number: 'double',
  Currency: 'currency',
  Percent: 'percent',
  Checkbox: 'boolean',
};

function saveCustomField(context: SalesforceContext, md: MdObject, mode: Mode): SaveOutcome {
  const { org } = context;
  const fullName = text(md, 'fullName') ?? '';
  const fail = (error: ComponentError): SaveOutcome => ({ fullName, created: false, errors: [error] });
  const dot = fullName.indexOf('.');
  const objectName = dot < 0 ? '' : fullName.slice(0, dot);
  const fieldName = dot < 0 ? fullName : fullName.slice(dot + 1);
  const def = org.objectDef(objectName);
  if (def === undefined) {
    return fail(
      integrity(
        `Cannot create a new component with the namespace: ${objectName}. Object ${objectName} does not exist`,
        'fullName',
      ),
    );
  }
  if (!/^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*__c$/.test(fieldName)) {
    return fail(
      integrity(
        `Invalid custom field name: ${fieldName}. The name must end with __c and contain only letters, digits and single underscores.`,
        'fullName',
      ),
    );
  }
  const label = text(md, 'label');
  if (label === undefined || label === '') return fail(integrity('Must specify a label', 'label'));
  const typeName = text(md, 'type') ?? '';
  const type = FIELD_TYPES[typeName];
  if (type === undefined) return fail(integrity(`Invalid field type: ${typeName}`, 'type'));
  const existing = def.fields.get(fieldName.toLowerCase());
  if (mode === 'create' && existing !== undefined) {
    return {
      fullName,
      created: false,
      errors: [
        {
          statusCode: 'DUPLICATE_DEVELOPER_NAME',
          message: `There is already a field named ${fieldName} on ${def.name}.`,
        },
      ],
    };
  }
  if (mode === 'update' && existing === undefined) {
    return {
      fullName,
      created: false,
      errors: [
        {
          statusCode: 'INVALID_CROSS_REFERENCE_KEY',
          message: `In field: fullName - no CustomField named ${fullName} found`,
        },
      ],
    };
  }
  const tracking = trackHistoryProblem(org, def.name, existing?.name ?? fieldName, md);
  if (tracking !== undefined) return fail(tracking);
  let field: FieldDef = fieldDef(existing?.name ?? fieldName, label, type, {
    inlineHelpText: text(md, 'inlineHelpText') ?? null,
  });
  if (type === 'picklist') {
    const valueSet = obj(md['valueSet']);
    const values = list(obj(valueSet?.['valueSetDefinition'])?.['value'])
      .map(obj)
      .filter((v): v is MdObject => v !== undefined);
    if (values.length === 0) return fail(integrity('Picklist must have at least one value', 'valueSet'));
    const names = values.map((v) => text(v, 'fullName') ?? '');
    if (names.some((n) => n === '')) return fail(integrity('Every picklist value needs a fullName', 'valueSet'));
    field = {
      ...field,
      restrictedPicklist: valueSet !== undefined && text(valueSet, 'restricted') === 'true',
      picklistValues: values.map((v, i) => ({
        value: names[i] ?? '',
        label: text(v, 'label') ?? names[i] ?? '',
        active: text(v, 'isActive') !== 'false',
        defaultValue: text(v, 'default') === 'true',
      })),
    };
  } else if (type === 'textarea' && typeName === 'LongTextArea') {
    const length = Number(text(md, 'length'));
    if (!Number.isInteger(length) || length < 256 || length > 131_072) {
      return fail(integrity('Length must be between 256 and 131072 for a long text area', 'length'));
    }
    if (text(md, 'visibleLines') === undefined) return fail(integrity('Must specify visibleLines', 'visibleLines'));
    field = { ...field, length };
  } else if (type === 'string') {
    const length = Number(text(md, 'length'));
    if (!Number.isInteger(length) || length < 1 || length > 255) {
      return fail(integrity('Length must be between 1 and 255 for a text field', 'length'));
    }
    field = { ...field, length };
  } else if (type === 'boolean') {
    field = { ...field, nillable: false };
  }
  def.fields.set(field.name.toLowerCase(), field);
  org.customFields.set(`${def.name}.${field.name}`, md);
  if (existing === undefined) {
    // Existing rows get the new column (false for checkboxes, null otherwise).
    for (const record of org.store(def.name).values()) record.values[field.name] = type === 'boolean' ? false : null;
    if (type === 'picklist') enableOnRecordTypes(org, def.name, field);
  }
  return { fullName, created: existing === undefined, errors: [] };
}

function savePermissionSet(context: SalesforceContext, md: MdObject, mode: Mode, userId: string): SaveOutcome {
  const { org } = context;
  const fullName = text(md, 'fullName') ?? '';
  const fail = (error: ComponentError): SaveOutcome => ({ fullName, created: false, errors: [error] });
  if (!/^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$/.test(fullName)) {
    return fail(integrity(`Invalid permission set name: ${fullName}`, 'fullName'));
  }
  const label = text(md, 'label');
  if (label === undefined || label === '') return fail(integrity('Must specify a label', 'label'));
  for (const perm of list(md['fieldPermissions'])) {
    const field = obj(perm) === undefined ? '' : (text(obj(perm) ?? {}, 'field') ?? '');
    if (!org.customFields.has(field))
      return fail(integrity(`In field: field - no CustomField named ${field} found`, 'fieldPermissions'));
  }
  const existing = [...org.store('PermissionSet').values()].find(
    (r) => r.deletedAt === null && r.values['Name'] === fullName,
  );
  if (mode === 'create' && existing !== undefined) {
    return {
      fullName,
      created: false,
      errors: [
        { statusCode: 'DUPLICATE_DEVELOPER_NAME', message: `The permission set name ${fullName} is already in use.` },
      ],
    };
  }
  if (mode === 'update' && existing === undefined) {
    return {
      fullName,
      created: false,
      errors: [
        {
          statusCode: 'INVALID_CROSS_REFERENCE_KEY',
          message: `In field: fullName - no PermissionSet named ${fullName} found`,
        },
      ],
    };
  }
  org.permissionSets.set(fullName, md);
  const description = text(md, 'description') ?? null;
  const now = context.now();
  if (existing === undefined) {
    org.insert(
      'PermissionSet',
      { Name: fullName, Label: label, Description: description, IsOwnedByProfile: false },
      now,
      userId,
    );
  } else {
    Object.assign(existing.values, { Label: label, Description: description });
    org.touch(existing, now, userId);
  }
  return { fullName, created: existing === undefined, errors: [] };
}

function resultXml(outcome: SaveOutcome, withCreated: boolean): string {
  const errors = outcome.errors
    .map(
      (e) =>
        `<errors>${e.fields === undefined ? '' : `<fields>${escapeXml(e.fields)}</fields>`}<message>${escapeXml(e.message)}</message><statusCode>${e.statusCode}</statusCode></errors>`,
    )
    .join('');
  const created = withCreated ? `<created>${String(outcome.created)}</created>` : '';
  return `<result>${created}${errors}<fullName>${escapeXml(outcome.fullName)}</fullName><success>${String(outcome.errors.length === 0)}</success></result>`;
}

function save(context: SalesforceContext, method: string, call: XmlElement, userId: string): string {
  const mode: Mode = method === 'createMetadata' ? 'create' : method === 'updateMetadata' ? 'update' : 'upsert';
  const { org } = context;
  const results = call.children
    .filter((c) => c.name === 'metadata')
    .map((element) => {
      const md = obj(toMd(element)) ?? {};
      const type = (element.attrs['xsi:type'] ?? '').replace(/^.*:/, '');
      const fullName = text(md, 'fullName') ?? '';
      context.stats.metadataWrites.push(`${method} ${type}`);
      if (type === 'CustomField') return saveCustomField(context, md, mode);
      if (type === 'PermissionSet') return savePermissionSet(context, md, mode, userId);
      if (type === 'RecordType') return saveRecordType(org, md);
      if (type === 'ListView') return saveListView(org, md, mode);
      if (type === 'Layout') return saveLayout(org, md, mode);
      if (type === 'CompactLayout') return saveCompactLayout(org, md, mode);
      if (type === 'CustomObject') return saveCustomObject(org, md, mode);
      return {
        fullName,
        created: false,
        errors: [{ statusCode: 'INVALID_TYPE', message: `sandbox: metadata type '${type}' is not supported` }],
      };
    });
  return `<${method}Response>${results.map((r) => resultXml(r, mode === 'upsert')).join('')}</${method}Response>`;
}

function remove(context: SalesforceContext, call: XmlElement): string {
  const type = child(call, 'type')?.text ?? '';
  const results = call.children
    .filter((c) => c.name === 'fullNames')
    .map((c): SaveOutcome => {
      context.stats.metadataWrites.push(`deleteMetadata ${type}`);
      if (type === 'ListView') return deleteListView(context.org, c.text);
      return {
        fullName: c.text,
        created: false,
        errors: [{ statusCode: 'INVALID_TYPE', message: `sandbox: deleting '${type}' is not supported` }],
      };
    });
  return `<deleteMetadataResponse>${results.map((r) => resultXml(r, false)).join('')}</deleteMetadataResponse>`;
}

function read(context: SalesforceContext, call: XmlElement): string {
  const type = child(call, 'type')?.text ?? '';
  const store = components(context, type);
  const records = call.children
    .filter((c) => c.name === 'fullNames')
    .map((c) => {
      const md = type === 'CustomObject' ? customObjectMetadata(context.org, c.text) : store?.get(c.text);
      // Unknown names read as an empty record, as Salesforce does.
      return md === undefined
        ? `<records xsi:type="${escapeXml(type)}"/>`
        : mdToXml('records', md, ` xsi:type="${escapeXml(type)}"`);
    });
  return `<readMetadataResponse><result>${records.join('')}</result></readMetadataResponse>`;
}

function sendFault(res: Response, code: string, message: string): void {
  res.status(500).type('text/xml').send(soapFault(code, message));
}

export function metadataRoutes(
  context: SalesforceContext,
  limiter: (req: Request, res: Response, next: NextFunction) => void,
): Router {
  const router = express.Router();
  const session = (req: Request, res: Response, next: NextFunction): void => {
    let envelope: XmlElement;
    try {
      envelope = parseXml(typeof req.body === 'string' ? req.body : '');
    } catch (err) {
      sendFault(
        res,
        'soapenv:Client',
        `Unable to parse the request: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    const sessionId = child(child(child(envelope, 'Header'), 'SessionHeader'), 'sessionId')?.text;
    const userId = sessionId === undefined ? undefined : context.tokens.userOf(sessionId);
    if (userId === undefined) {
      sendFault(
        res,
        'sf:INVALID_SESSION_ID',
        'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session. Session not found, missing session hash',
      );
      return;
    }
    // SOAP takes JWT-based access tokens from API 68.0; below, the session is refused (jsforce
    // src/soap.ts: "the response is: statusCode=500 | body="INVALID_SESSION_ID"").
    if (sessionId !== undefined && isJwtShaped(sessionId) && Number(param(req, 'version')) < 68) {
      sendFault(
        res,
        'sf:INVALID_SESSION_ID',
        'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session',
      );
      return;
    }
    res.locals['userId'] = userId;
    res.locals['soapCall'] = child(envelope, 'Body')?.children[0];
    next();
  };
  router.post(['/services/Soap/m/:version', '/services/Soap/m/:version/:orgId'], session, limiter, (_req, res) => {
    const call = res.locals['soapCall'] as XmlElement | undefined;
    if (call === undefined) {
      sendFault(res, 'soapenv:Client', 'No operation in the SOAP body');
      return;
    }
    let body: string;
    try {
      switch (call.name) {
        case 'createMetadata':
        case 'updateMetadata':
        case 'upsertMetadata':
          body = save(context, call.name, call, userOf(res));
          break;
        case 'deleteMetadata':
          body = remove(context, call);
          break;
        case 'readMetadata':
          body = read(context, call);
          break;
        case 'listMetadata':
          body = listComponents(context, call);
          break;
        default:
          sendFault(
            res,
            'soapenv:Client',
            `No operation available for request {http://soap.sforce.com/2006/04/metadata}${call.name}`,
          );
          return;
      }
    } catch (error) {
      if (!(error instanceof MetadataFault)) throw error;
      sendFault(res, error.faultcode, error.message);
      return;
    }
    res.status(200).type('text/xml').send(soapEnvelope(body));
  });
  return router;
}
