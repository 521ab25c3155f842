/**
 * The sandbox portal on disk, so `npm start` picks up where it stopped: the records (with the
 * tiers RightTouch wrote into them), the properties and groups `setup` created, its lists, the
 * portal id. A snapshot from before lists existed loads with none.
 * Written to a temporary file and renamed, so a crash never leaves half a snapshot.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { emptyLists, type SandboxList } from './lists.ts';
import {
  OBJECT_TYPES,
  type CrmRecord,
  type ObjectStore,
  type ObjectType,
  type Portal,
  type PropertyDefinition,
  type PropertyGroup,
  type Schema,
} from './model.ts';

const FORMAT = 1;

interface SnapshotFile {
  readonly format: number;
  readonly portal: Omit<Portal, 'objects' | 'schema' | 'lists'>;
  readonly objects: Record<ObjectType, CrmRecord[]>;
  readonly schema: Record<ObjectType, { properties: PropertyDefinition[]; groups: PropertyGroup[] }>;
  readonly lists: { readonly nextId: number; readonly lists: SandboxList[] };
}

const recordSchema = z.object({
  id: z.string(),
  properties: z.record(z.string(), z.string()),
  createdAt: z.number(),
  updatedAt: z.number(),
  companyId: z.string().nullable(),
  history: z
    .record(
      z.string(),
      z.array(
        z.object({
          value: z.string(),
          timestamp: z.string(),
          sourceType: z.string(),
          sourceId: z.string().optional(),
          sourceLabel: z.string().optional(),
          updatedByUserId: z.number().optional(),
        }),
      ),
    )
    .optional(),
});

const fileSchema = z.object({
  format: z.literal(FORMAT),
  portal: z.object({
    portalId: z.number().int(),
    timeZone: z.string(),
    companyCurrency: z.string(),
    uiDomain: z.string(),
    dataHostingLocation: z.string(),
  }),
  objects: z.object({
    companies: z.array(recordSchema),
    contacts: z.array(recordSchema),
    deals: z.array(recordSchema),
  }),
  // Definitions are written by this module only; their shape is checked loosely.
  schema: z.record(
    z.enum(OBJECT_TYPES),
    z.object({ properties: z.array(z.looseObject({ name: z.string() })), groups: z.array(z.looseObject({})) }),
  ),
  // Written by this module only, like the definitions.
  lists: z.object({ nextId: z.number().int(), lists: z.array(z.looseObject({ listId: z.string() })) }).optional(),
});

export function toSnapshot(portal: Portal): string {
  const { objects, schema, lists, ...rest } = portal;
  const file: SnapshotFile = {
    format: FORMAT,
    portal: rest,
    objects: {
      companies: [...objects.companies.records.values()],
      contacts: [...objects.contacts.records.values()],
      deals: [...objects.deals.records.values()],
    },
    schema: {
      companies: plainSchema(schema.companies),
      contacts: plainSchema(schema.contacts),
      deals: plainSchema(schema.deals),
    },
    lists: { nextId: lists.nextId, lists: [...lists.lists.values()] },
  };
  return JSON.stringify(file);
}

function plainSchema(schema: Schema): { properties: PropertyDefinition[]; groups: PropertyGroup[] } {
  return { properties: [...schema.properties.values()], groups: [...schema.groups.values()] };
}

export function fromSnapshot(text: string): Portal {
  const parsed = fileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`not a sandbox snapshot: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const file = parsed.data;
  const objects = {} as Record<ObjectType, ObjectStore>;
  const schema = {} as Record<ObjectType, Schema>;
  for (const type of OBJECT_TYPES) {
    const records = new Map<string, CrmRecord>();
    for (const record of file.objects[type]) records.set(record.id, { ...record });
    const order = [...records.keys()].map(Number).sort((a, b) => a - b);
    objects[type] = { type, records, order, version: 0 };
    const plain = file.schema[type];
    schema[type] = {
      properties: new Map(plain.properties.map((p) => [p.name, p as unknown as PropertyDefinition])),
      groups: new Map(plain.groups.map((g) => [(g as { name: string }).name, g as unknown as PropertyGroup])),
    };
  }
  const lists = emptyLists();
  if (file.lists !== undefined) {
    lists.nextId = file.lists.nextId;
    for (const list of file.lists.lists) lists.lists.set(list.listId, list as unknown as SandboxList);
  }
  return { ...file.portal, objects, schema, lists };
}

export async function saveSnapshot(portal: Portal, path: string): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, toSnapshot(portal));
  await rename(temporary, path);
}

/** The saved portal, or undefined when there is no snapshot at `path`. */
export async function loadSnapshot(path: string): Promise<Portal | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return fromSnapshot(text);
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)} (delete it to start afresh)`, {
      cause: error,
    });
  }
}
