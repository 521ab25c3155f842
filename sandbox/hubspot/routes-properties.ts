/**
 * Properties v3: list, read, create (201; 409 when the name exists; an archived name is
 * restored), update (PATCH: given fields overwrite, so `options` is replaced wholesale), archive,
 * and property groups (list, read, create with 201/409, update).
 */
import { Router, type Request, type Response } from 'express';
import type { SandboxContext } from './context.ts';
import { HubSpotHttpError, notFound, validationError } from './errors.ts';
import type { ObjectType, PropertyDefinition, PropertyGroup, PropertyOption, PropertyType, Schema } from './model.ts';
import { resolveType } from './routes-objects.ts';

const NAME = /^[a-z][a-z0-9_]{0,99}$/;
const MAX_OPTIONS = 5000;
const MAX_OPTION_CHARS = 3000;

/** Valid type → fieldType pairs (reference §2.2). */
const FIELD_TYPES: Readonly<Record<PropertyType, readonly string[]>> = {
  enumeration: ['booleancheckbox', 'checkbox', 'radio', 'select', 'calculation_equation'],
  string: ['text', 'textarea', 'file', 'html', 'phonenumber', 'calculation_equation'],
  number: ['number', 'calculation_equation', 'calculation_score'],
  date: ['date'],
  datetime: ['date'],
  bool: ['booleancheckbox', 'calculation_equation'],
  phone_number: ['phonenumber'],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function param(req: Request, name: string): string {
  return (req.params as Record<string, string | undefined>)[name] ?? '';
}

function schemaOf(context: SandboxContext, req: Request): { type: ObjectType; schema: Schema } {
  const type = resolveType(param(req, 'objectType'));
  return { type, schema: context.portal.schema[type] };
}

export function publicProperty(property: PropertyDefinition): Record<string, unknown> {
  const { readOnlyValue, archived, createdAt, updatedAt, ...rest } = property;
  return {
    ...rest,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    archived,
    ...(archived ? { archivedAt: new Date(updatedAt).toISOString() } : {}),
    modificationMetadata: {
      archivable: !property.hubspotDefined,
      readOnlyDefinition: property.hubspotDefined,
      readOnlyValue,
    },
    dataSensitivity: 'non_sensitive',
  };
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validationError(`${name} must be a string.`);
  return value;
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined || value === '') throw validationError(`${name} is required.`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw validationError(`${name} must be a boolean.`);
  return value;
}

function optionalNumber(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw validationError(`${name} must be a number.`);
  return value;
}

function parseType(raw: string): PropertyType {
  if (!Object.hasOwn(FIELD_TYPES, raw)) throw validationError(`Invalid property type: ${raw}.`);
  return raw as PropertyType;
}

function checkFieldType(type: PropertyType, fieldType: string): void {
  if (!FIELD_TYPES[type].includes(fieldType)) {
    throw validationError(`fieldType ${fieldType} is not valid for a property of type ${type}.`);
  }
}

function parseOptions(raw: unknown): PropertyOption[] {
  if (!Array.isArray(raw)) throw validationError('options must be a list.');
  if (raw.length > MAX_OPTIONS) throw validationError(`A property can have at most ${MAX_OPTIONS} options.`);
  const values = new Set<string>();
  const labels = new Set<string>();
  return (raw as unknown[]).map((item, index) => {
    if (!isRecord(item)) throw validationError('Each option must be an object.');
    const label = requiredString(item, 'label');
    const value = requiredString(item, 'value');
    const description = optionalString(item, 'description');
    if (label.length + value.length + (description?.length ?? 0) > MAX_OPTION_CHARS) {
      throw validationError(`Option ${value} is longer than ${MAX_OPTION_CHARS} characters.`);
    }
    if (values.has(value)) throw validationError(`Duplicate option value: ${value}.`);
    if (labels.has(label)) throw validationError(`Duplicate option label: ${label}.`);
    values.add(value);
    labels.add(label);
    return {
      label,
      value,
      displayOrder: optionalNumber(item, 'displayOrder') ?? index,
      hidden: optionalBoolean(item, 'hidden') ?? false,
      ...(description === undefined ? {} : { description }),
    };
  });
}

function checkGroup(schema: Schema, groupName: string): void {
  const group = schema.groups.get(groupName);
  if (group === undefined || group.archived) throw validationError(`Property group ${groupName} does not exist.`);
}

function alreadyExists(message: string, subCategory?: string): HubSpotHttpError {
  return new HubSpotHttpError(409, {
    message,
    category: 'OBJECT_ALREADY_EXISTS',
    ...(subCategory === undefined ? {} : { subCategory }),
  });
}

function createProperty(context: SandboxContext, req: Request, res: Response): void {
  const { schema } = schemaOf(context, req);
  const body: unknown = req.body;
  if (!isRecord(body)) throw validationError('Invalid input JSON: expected a property definition.');
  const name = requiredString(body, 'name');
  if (!NAME.test(name)) {
    throw validationError(
      `Invalid property name ${name}: use lowercase letters, digits and underscores, starting with a letter.`,
    );
  }
  const existing = schema.properties.get(name);
  if (existing !== undefined && !existing.archived) {
    throw alreadyExists(`A property named '${name}' already exists.`, 'Properties.PROPERTY_WITH_NAME_EXISTS');
  }
  const type = parseType(requiredString(body, 'type'));
  const fieldType = requiredString(body, 'fieldType');
  checkFieldType(type, fieldType);
  const groupName = requiredString(body, 'groupName');
  checkGroup(schema, groupName);
  const options = body['options'] === undefined ? [] : parseOptions(body['options']);
  if (type === 'enumeration' && options.length === 0 && fieldType !== 'calculation_equation') {
    throw validationError('options are required for an enumeration property.');
  }
  const now = context.now();
  const property: PropertyDefinition = {
    name,
    label: requiredString(body, 'label'),
    type,
    fieldType,
    description: optionalString(body, 'description') ?? '',
    groupName,
    options,
    displayOrder: optionalNumber(body, 'displayOrder') ?? -1,
    calculated: false,
    externalOptions: optionalBoolean(body, 'externalOptions') ?? false,
    hasUniqueValue: optionalBoolean(body, 'hasUniqueValue') ?? false,
    hidden: optionalBoolean(body, 'hidden') ?? false,
    hubspotDefined: false,
    formField: optionalBoolean(body, 'formField') ?? false,
    readOnlyValue: false,
    archived: false,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  schema.properties.set(name, property);
  res.status(201).json(publicProperty(property));
}

function activeProperty(schema: Schema, type: ObjectType, name: string): PropertyDefinition {
  const property = schema.properties.get(name);
  if (property === undefined || property.archived) {
    throw notFound(`Unable to find property ${name} on object type ${type}.`);
  }
  return property;
}

function updateProperty(context: SandboxContext, req: Request, res: Response): void {
  const { type, schema } = schemaOf(context, req);
  const property = activeProperty(schema, type, param(req, 'propertyName'));
  const body: unknown = req.body;
  if (!isRecord(body)) throw validationError('Invalid input JSON: expected a property update.');
  const nextType = body['type'] === undefined ? property.type : parseType(requiredString(body, 'type'));
  const fieldType = optionalString(body, 'fieldType') ?? property.fieldType;
  checkFieldType(nextType, fieldType);
  const groupName = optionalString(body, 'groupName');
  if (groupName !== undefined) checkGroup(schema, groupName);
  // Given fields overwrite: `options` replaces the whole list; leaving it out keeps the list.
  const options = body['options'] === undefined ? property.options : parseOptions(body['options']);
  if (nextType === 'enumeration' && options.length === 0 && fieldType !== 'calculation_equation') {
    throw validationError('options are required for an enumeration property.');
  }
  Object.assign(property, {
    type: nextType,
    fieldType,
    options,
    label: optionalString(body, 'label') ?? property.label,
    description: optionalString(body, 'description') ?? property.description,
    groupName: groupName ?? property.groupName,
    displayOrder: optionalNumber(body, 'displayOrder') ?? property.displayOrder,
    hidden: optionalBoolean(body, 'hidden') ?? property.hidden,
    formField: optionalBoolean(body, 'formField') ?? property.formField,
    updatedAt: context.now(),
  });
  res.json(publicProperty(property));
}

function archiveProperty(context: SandboxContext, req: Request, res: Response): void {
  const { type, schema } = schemaOf(context, req);
  const property = activeProperty(schema, type, param(req, 'propertyName'));
  if (property.hubspotDefined)
    throw validationError(`${property.name} is a HubSpot-defined property and cannot be archived.`);
  property.archived = true;
  property.updatedAt = context.now();
  res.status(204).end();
}

function publicGroup(group: PropertyGroup): PropertyGroup {
  return { ...group };
}

function createGroup(context: SandboxContext, req: Request, res: Response): void {
  const { schema } = schemaOf(context, req);
  const body: unknown = req.body;
  if (!isRecord(body)) throw validationError('Invalid input JSON: expected a property group.');
  const name = requiredString(body, 'name');
  if (!NAME.test(name)) throw validationError(`Invalid property group name ${name}.`);
  const existing = schema.groups.get(name);
  if (existing !== undefined && !existing.archived) {
    throw alreadyExists(`A property group named '${name}' already exists.`);
  }
  const group: PropertyGroup = {
    name,
    label: requiredString(body, 'label'),
    displayOrder: optionalNumber(body, 'displayOrder') ?? -1,
    archived: false,
  };
  schema.groups.set(name, group);
  res.status(201).json(publicGroup(group));
}

function activeGroup(schema: Schema, type: ObjectType, name: string): PropertyGroup {
  const group = schema.groups.get(name);
  if (group === undefined || group.archived)
    throw notFound(`Unable to find property group ${name} on object type ${type}.`);
  return group;
}

function updateGroup(context: SandboxContext, req: Request, res: Response): void {
  const { type, schema } = schemaOf(context, req);
  const group = activeGroup(schema, type, param(req, 'groupName'));
  const body: unknown = req.body;
  if (!isRecord(body)) throw validationError('Invalid input JSON: expected a property group update.');
  group.label = optionalString(body, 'label') ?? group.label;
  group.displayOrder = optionalNumber(body, 'displayOrder') ?? group.displayOrder;
  res.json(publicGroup(group));
}

export function propertyRoutes(context: SandboxContext): Router {
  const router = Router();
  const base = '/crm/v3/properties/:objectType';
  // Groups first: `groups` would otherwise match `:propertyName`.
  router.get(`${base}/groups`, (req, res) => {
    const { schema } = schemaOf(context, req);
    const archived = req.query['archived'] === 'true';
    res.json({ results: [...schema.groups.values()].filter((g) => g.archived === archived).map(publicGroup) });
  });
  router.post(`${base}/groups`, (req, res) => {
    createGroup(context, req, res);
  });
  router.get(`${base}/groups/:groupName`, (req, res) => {
    const { type, schema } = schemaOf(context, req);
    res.json(publicGroup(activeGroup(schema, type, param(req, 'groupName'))));
  });
  router.patch(`${base}/groups/:groupName`, (req, res) => {
    updateGroup(context, req, res);
  });
  router.get(base, (req, res) => {
    const { schema } = schemaOf(context, req);
    const archived = req.query['archived'] === 'true';
    const results = [...schema.properties.values()].filter((p) => p.archived === archived).map(publicProperty);
    res.json({ results });
  });
  router.post(base, (req, res) => {
    createProperty(context, req, res);
  });
  router.get(`${base}/:propertyName`, (req, res) => {
    const { type, schema } = schemaOf(context, req);
    const name = param(req, 'propertyName');
    const property = schema.properties.get(name);
    const archived = req.query['archived'] === 'true';
    if (property === undefined || property.archived !== archived) {
      throw notFound(`Unable to find property ${name} on object type ${type}.`);
    }
    res.json(publicProperty(property));
  });
  router.patch(`${base}/:propertyName`, (req, res) => {
    updateProperty(context, req, res);
  });
  router.delete(`${base}/:propertyName`, (req, res) => {
    archiveProperty(context, req, res);
  });
  return router;
}
