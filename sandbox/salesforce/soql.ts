/**
 * SOQL in the fake org: a query parsed by soql-parse.ts
 *
 *     SELECT f1, convertCurrency(f2) | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n]
 *
 * is resolved against the org and compiled into a filter and a sort: unknown objects are
 * INVALID_TYPE; unknown (or FLS-hidden) fields, and literals of the wrong type for their field,
 * are INVALID_FIELD, with Salesforce's row/column pointer; `convertCurrency()` needs a
 * multi-currency org and a currency field.
 */
import { SfHttpError } from './errors.ts';
import { isWellFormedId, to18 } from './ids.ts';
import { parseDateTime, type FieldDef, type ObjectDef, type SfRecord, type Value } from './model.ts';
import { parseSoql, soqlError, type Cond, type FieldRef, type Literal } from './soql-parse.ts';

/** What a query needs from the org: the object and the fields the running user may read. */
export interface QueryScope {
  objectDef(name: string): ObjectDef | undefined;
  canRead(def: ObjectDef, field: FieldDef): boolean;
  /** Multiple currencies enabled (`convertCurrency()` allowed). */
  readonly multiCurrency?: boolean;
}

/**
 * A parent's field selected through its relationship (`CreatedBy.Name`): the reference field
 * (`CreatedById`: a standard relationship is its reference field's name without `Id`), the parent
 * object and its field. Only in the SELECT list; a row carries it as `{"CreatedBy": {"attributes":
 * …, "Name": …}}`, or `"CreatedBy": null` without a parent.
 */
export interface RelationshipField {
  readonly relationship: string;
  readonly via: FieldDef;
  readonly parent: ObjectDef;
  readonly field: FieldDef;
}

export interface CompiledQuery {
  readonly object: ObjectDef;
  readonly count: boolean;
  readonly fields: FieldDef[];
  readonly relationships: readonly RelationshipField[];
  /** The fields selected through `convertCurrency()`. */
  readonly converted: ReadonlySet<FieldDef>;
  readonly limit: number | undefined;
  matches(record: SfRecord): boolean;
  compare(a: SfRecord, b: SfRecord): number;
}

const NUMERIC = new Set(['double', 'currency', 'percent', 'int']);
const TEXT = new Set(['string', 'email', 'url', 'picklist', 'textarea']);

function typeName(field: FieldDef): string {
  if (field.type === 'datetime') return 'dateTime';
  if (NUMERIC.has(field.type)) return 'number';
  return field.type;
}

/** A comparable form of a record value for the field's type (null stays null). */
function sortKey(field: FieldDef, value: Value | undefined): string | number | null {
  if (value === null || value === undefined) return null;
  if (field.type === 'datetime' && typeof value === 'string') return parseDateTime(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (TEXT.has(field.type)) return value.toLowerCase();
  return value;
}

function compareKeys(a: string | number, b: string | number): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** Resolves names against the org (INVALID_TYPE / INVALID_FIELD) and builds the filter and sort. */
export function compileSoql(soql: string, scope: QueryScope): CompiledQuery {
  const parsed = parseSoql(soql);
  const object = scope.objectDef(parsed.object.name);
  if (object === undefined) {
    throw soqlError(
      soql,
      parsed.object.pos,
      'INVALID_TYPE',
      `sObject type '${parsed.object.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const resolve = (ref: FieldRef): FieldDef => {
    const field = object.fields.get(ref.name.toLowerCase());
    if (field === undefined || !scope.canRead(object, field)) {
      throw soqlError(
        soql,
        ref.pos,
        'INVALID_FIELD',
        `No such column '${ref.name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    return field;
  };
  const noSuchRelation = (ref: FieldRef, relationship: string): SfHttpError =>
    soqlError(
      soql,
      ref.pos,
      'INVALID_FIELD',
      `Didn't understand relationship '${relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  const resolveRelationship = (ref: FieldRef): RelationshipField => {
    const [relationship = '', name = ''] = ref.name.split('.');
    const via = object.fields.get(`${relationship}id`.toLowerCase());
    const parent = via?.type === 'reference' ? scope.objectDef(via.referenceTo[0] ?? '') : undefined;
    if (via === undefined || parent === undefined || ref.name.split('.').length !== 2) {
      throw noSuchRelation(ref, relationship);
    }
    const field = parent.fields.get(name.toLowerCase());
    if (field === undefined || !scope.canRead(parent, field)) {
      throw soqlError(
        soql,
        ref.pos,
        'INVALID_FIELD',
        `No such column '${name}' on entity '${parent.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    return { relationship: via.name.slice(0, -2), via, parent, field };
  };
  const fields: FieldDef[] = [];
  const relationships: RelationshipField[] = [];
  const converted = new Set<FieldDef>();
  for (const ref of parsed.fields) {
    if (ref.name.includes('.') && ref.convert !== true) {
      relationships.push(resolveRelationship(ref));
      continue;
    }
    const field = resolve(ref);
    if (fields.includes(field)) {
      throw soqlError(soql, ref.pos, 'MALFORMED_QUERY', `duplicate field selected: ${field.name}`);
    }
    if (ref.convert === true) {
      // Salesforce refuses both; the wording here is the fake's own (not captured from an org).
      if (scope.multiCurrency !== true) {
        throw soqlError(soql, ref.pos, 'INVALID_FIELD', 'convertCurrency() requires multiple currencies to be enabled');
      }
      if (field.type !== 'currency') {
        throw soqlError(soql, ref.pos, 'INVALID_FIELD', `convertCurrency() is only for currency fields: ${field.name}`);
      }
      converted.add(field);
    }
    fields.push(field);
  }

  /** The literal as a comparable key for the field, or a type-mismatch error. */
  const literalKey = (field: FieldDef, literal: Literal, pos: number): string | number | null => {
    if (literal.kind === 'null') return null;
    const mismatch = (): SfHttpError => {
      const quoted = literal.kind === 'string';
      return soqlError(
        soql,
        pos,
        'INVALID_FIELD',
        `value of filter criterion for field '${field.name}' must be of type ${typeName(field)}${quoted ? ' and should not be enclosed in quotes' : ''}`,
      );
    };
    switch (field.type) {
      case 'datetime':
        if (literal.kind !== 'datetime') throw mismatch();
        return literal.value;
      case 'date':
        if (literal.kind !== 'date') throw mismatch();
        return literal.value;
      case 'boolean':
        if (literal.kind !== 'boolean') throw mismatch();
        return literal.value ? 1 : 0;
      case 'id':
      case 'reference':
        if (literal.kind !== 'string') throw mismatch();
        if (!isWellFormedId(literal.value)) {
          throw soqlError(soql, pos, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${literal.value}`);
        }
        return to18(literal.value);
      default:
        if (NUMERIC.has(field.type)) {
          if (literal.kind !== 'number') throw mismatch();
          return literal.value;
        }
        if (literal.kind !== 'string') throw mismatch();
        return literal.value.toLowerCase();
    }
  };

  /** A field in WHERE: also one SOQL can filter on. */
  const filterField = (ref: FieldRef): FieldDef => {
    const field = resolve(ref);
    if (field.filterable === false) {
      throw soqlError(soql, ref.pos, 'INVALID_FIELD', `field '${field.name}' can not be filtered in a query call`);
    }
    return field;
  };
  const build = (cond: Cond): ((record: SfRecord) => boolean) => {
    switch (cond.kind) {
      case 'and': {
        const [l, r] = [build(cond.left), build(cond.right)];
        return (rec) => l(rec) && r(rec);
      }
      case 'or': {
        const [l, r] = [build(cond.left), build(cond.right)];
        return (rec) => l(rec) || r(rec);
      }
      case 'not': {
        const inner = build(cond.cond);
        return (rec) => !inner(rec);
      }
      case 'in': {
        const field = filterField(cond.field);
        const keys = cond.values.map((v) => literalKey(field, v, cond.pos));
        return (rec) => {
          const key = sortKey(field, rec.values[field.name]);
          return keys.includes(key) !== cond.not;
        };
      }
      case 'cmp': {
        const field = filterField(cond.field);
        const want = literalKey(field, cond.value, cond.pos);
        const op = cond.op;
        return (rec) => {
          const have = sortKey(field, rec.values[field.name]);
          if (op === '=') return have === want;
          if (op === '!=') return have !== want;
          if (have === null || want === null) return false;
          const c = compareKeys(have, want);
          return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
        };
      }
    }
  };
  const matches = parsed.where === undefined ? () => true : build(parsed.where);
  const order = parsed.orderBy.map((item) => ({ ...item, def: resolve(item.field) }));
  const compare = (a: SfRecord, b: SfRecord): number => {
    for (const item of order) {
      const ka = sortKey(item.def, a.values[item.def.name]);
      const kb = sortKey(item.def, b.values[item.def.name]);
      if (ka === kb) continue;
      if (ka === null) return item.nullsLast ? 1 : -1;
      if (kb === null) return item.nullsLast ? -1 : 1;
      const c = compareKeys(ka, kb);
      if (c !== 0) return item.desc ? -c : c;
    }
    return 0;
  };
  return { object, count: parsed.count, fields, relationships, converted, limit: parsed.limit, matches, compare };
}
