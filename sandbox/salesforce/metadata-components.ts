/**
 * The fake org's metadata components by type (what readMetadata reads and listMetadata lists), and
 * listMetadata's FileProperties answer for them.
 */
import type { SalesforceContext } from './context.ts';
import { formatDateTime, type MdObject } from './model.ts';
import { child, mdToXml, type XmlElement } from './xml.ts';

/** The components of a type, by full name. */
export function components(context: SalesforceContext, type: string): Map<string, MdObject> | undefined {
  const { org } = context;
  switch (type) {
    case 'CustomField':
      return org.customFields;
    case 'PermissionSet':
      return org.permissionSets;
    case 'RecordType':
      return org.recordTypes;
    case 'ListView':
      return new Map([...org.listViews].map(([name, view]) => [name, view.md]));
    case 'Layout':
      return org.layouts;
    case 'CompactLayout':
      return org.compactLayouts;
    case 'CustomObject':
      return org.objectSettings;
    default:
      return undefined;
  }
}

const FILE_SUFFIX: Record<string, string> = {
  Layout: 'layouts/{}.layout',
  CustomObject: 'objects/{}.object',
  CustomField: 'objects/{}.field',
  ListView: 'objects/{}.listView',
  CompactLayout: 'objects/{}.compactLayout',
  PermissionSet: 'permissionsets/{}.permissionset',
  RecordType: 'objects/{}.recordType',
};

/** listMetadata: FileProperties of every component of the queried types. */
export function listComponents(context: SalesforceContext, call: XmlElement): string {
  const stamp = formatDateTime(context.now());
  const user = context.org.integrationUserId;
  const results = call.children
    .filter((c) => c.name === 'queries')
    .flatMap((query) => {
      const type = child(query, 'type')?.text ?? '';
      return [...(components(context, type)?.keys() ?? [])].map((fullName) =>
        mdToXml('result', {
          createdById: user,
          createdByName: 'Integration User',
          createdDate: stamp,
          fileName: (FILE_SUFFIX[type] ?? '{}').replace('{}', fullName),
          fullName,
          id: '',
          lastModifiedById: user,
          lastModifiedByName: 'Integration User',
          lastModifiedDate: stamp,
          manageableState: 'unmanaged',
          type,
        }),
      );
    });
  return `<listMetadataResponse>${results.join('')}</listMetadataResponse>`;
}
