/**
 * Salesforce record ids: 15 case-sensitive base-62 characters (3-character key prefix, 2-character
 * pod, then a counter) plus the 3-character case-safe checksum that makes the 18-character form.
 */

export const KEY_PREFIX: Readonly<Record<string, string>> = {
  Account: '001',
  Contact: '003',
  Lead: '00Q',
  Opportunity: '006',
  User: '005',
  Organization: '00D',
  PermissionSet: '0PS',
  PermissionSetAssignment: '0Pa',
  RecordType: '012',
  ObjectPermissions: '110',
  BulkJob: '750',
  QueryLocator: '01g',
  ListView: '00B',
  Layout: '00h',
  CompactLayout: '0AH',
  AccountHistory: '017',
  ContactHistory: '017',
  LeadHistory: '017',
};

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-character suffix of an 18-character id, from its 15-character form. */
export function checksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM.charAt(bits);
  }
  return suffix;
}

/** The 18-character id of the `n`th record with this key prefix. */
export function makeId(prefix: string, n: number): string {
  let counter = '';
  let rest = n;
  for (let i = 0; i < 8; i++) {
    counter = BASE62.charAt(rest % 62) + counter;
    rest = Math.floor(rest / 62);
  }
  const id15 = `${prefix}5g00${counter}`;
  return id15 + checksum(id15);
}

/** True for a syntactically valid 15- or 18-character id (18: with a matching checksum). */
export function isWellFormedId(id: string): boolean {
  if (!/^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$/.test(id)) return false;
  return id.length === 15 || checksum(id.slice(0, 15)) === id.slice(15);
}

/** The 18-character form of a well-formed id (15 or 18 characters). */
export function to18(id: string): string {
  return id.length === 15 ? id + checksum(id) : id;
}
