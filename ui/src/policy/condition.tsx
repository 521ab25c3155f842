/**
 * A condition, edited in place: a field test (`{field, gte: 100000}`), or all of / any of a list
 * of conditions, or not a condition. Switching the kind keeps what it can.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  asArray,
  asObject,
  formatPath,
  getAt,
  idFor,
  setAt,
  type Json,
  type JsonObject,
  type Path,
} from '../lib/json.ts';
import { formatList, formatScalar, readList, readNumber, readScalar } from '../lib/values.ts';
import { useForm } from './context.ts';
import { Field, Problems, TextField } from './fields.tsx';

type Kind = 'leaf' | 'all' | 'any' | 'not';

interface Operator {
  readonly key: string;
  readonly label: string;
  readonly symbol: string;
  readonly value: 'number' | 'scalar' | 'list' | 'boolean';
}

export const OPERATORS: readonly Operator[] = [
  { key: 'gte', label: '≥ at least', symbol: '≥', value: 'number' },
  { key: 'gt', label: '> more than', symbol: '>', value: 'number' },
  { key: 'lte', label: '≤ at most', symbol: '≤', value: 'number' },
  { key: 'lt', label: '< less than', symbol: '<', value: 'number' },
  { key: 'eq', label: '= is', symbol: '=', value: 'scalar' },
  { key: 'neq', label: '≠ is not', symbol: '≠', value: 'scalar' },
  { key: 'in', label: 'is one of', symbol: 'in', value: 'list' },
  { key: 'notIn', label: 'is none of', symbol: 'not in', value: 'list' },
  { key: 'exists', label: 'is set / missing', symbol: 'exists', value: 'boolean' },
];

function kindOf(condition: Json | undefined): Kind {
  const object = asObject(condition);
  if (object === undefined) return 'leaf';
  if ('all' in object) return 'all';
  if ('any' in object) return 'any';
  if ('not' in object) return 'not';
  return 'leaf';
}

export function blankLeaf(field = ''): JsonObject {
  return { field, gte: 0 };
}

function convertKind(condition: Json | undefined, to: Kind, field: string): Json {
  const from = kindOf(condition);
  const object = asObject(condition) ?? {};
  const children: readonly Json[] =
    from === 'all' || from === 'any'
      ? (asArray(object[from]) ?? [])
      : from === 'not'
        ? [object['not'] ?? blankLeaf(field)]
        : [condition ?? blankLeaf(field)];
  const first = children[0] ?? blankLeaf(field);
  switch (to) {
    case 'all':
    case 'any':
      return { [to]: children };
    case 'not':
      return { not: first };
    case 'leaf':
      return kindOf(first) === 'leaf' ? first : blankLeaf(field);
  }
}

function convertValue(value: Json | undefined, to: Operator): Json {
  const first = Array.isArray(value) ? (value as readonly Json[])[0] : value;
  switch (to.value) {
    case 'number':
      return typeof first === 'number' ? first : readNumber(formatScalar(first));
    case 'scalar':
      return first ?? '';
    case 'list':
      return asArray(value) ?? (first === undefined || first === '' ? [] : [first]);
    case 'boolean':
      return true;
  }
}

const KIND_LABELS: Record<Kind, string> = {
  leaf: 'Field test',
  all: 'All of',
  any: 'Any of',
  not: 'Not',
};

export function ConditionEditor({ path, legend, depth = 0 }: { path: Path; legend: string; depth?: number }) {
  const form = useForm();
  const condition = getAt(form.draft, path);
  const kind = kindOf(condition);
  const key = formatPath(path);
  const kindId = idFor(key, 'kind');
  return (
    <fieldset class={`condition depth-${Math.min(depth, 3)}`} data-path={key}>
      <legend>{legend}</legend>
      <div class="condition-kind">
        <label for={kindId} class="sr-only">
          {legend}: kind of condition
        </label>
        <select
          id={kindId}
          value={kind}
          onChange={(event) => {
            form.set(path, convertKind(condition, event.currentTarget.value as Kind, form.fields[0] ?? ''));
          }}
        >
          {(Object.keys(KIND_LABELS) as Kind[]).map((option) => (
            <option key={option} value={option}>
              {KIND_LABELS[option]}
            </option>
          ))}
        </select>
      </div>
      {kind === 'leaf' ? (
        <LeafEditor path={path} />
      ) : kind === 'not' ? (
        <ConditionEditor path={[...path, 'not']} legend="The condition that must not hold" depth={depth + 1} />
      ) : (
        <GroupEditor path={path} group={kind} depth={depth} />
      )}
      <Problems path={key} />
    </fieldset>
  );
}

function GroupEditor({ path, group, depth }: { path: Path; group: 'all' | 'any'; depth: number }) {
  const form = useForm();
  const listPath = [...path, group];
  const children = asArray(getAt(form.draft, listPath));
  const listKey = formatPath(listPath);
  return (
    <div class="group">
      <p class="hint">
        {group === 'all'
          ? 'Holds when every condition below holds (an empty list always holds).'
          : 'Holds when at least one condition below holds (an empty list never holds).'}
      </p>
      <Problems path={listKey} />
      <ol class="group-items">
        {(children ?? []).map((_child, index) => (
          <li key={index}>
            <ConditionEditor
              path={[...listPath, index]}
              legend={`${group === 'all' ? 'All of' : 'Any of'}: condition ${index + 1}`}
              depth={depth + 1}
            />
            <button
              type="button"
              class="link danger"
              onClick={() => {
                form.set([...listPath, index], undefined);
              }}
            >
              Remove condition {index + 1}
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        class="secondary small"
        onClick={() => {
          form.set(listPath, [...(children ?? []), blankLeaf(form.fields[0] ?? '')]);
        }}
      >
        Add a condition
      </button>
    </div>
  );
}

function LeafEditor({ path }: { path: Path }) {
  const form = useForm();
  const leaf = asObject(getAt(form.draft, path)) ?? {};
  const operators = Object.keys(leaf).filter((key) => key !== 'field');
  const field = typeof leaf['field'] === 'string' ? leaf['field'] : '';
  return (
    <div class="leaf">
      <TextField path={[...path, 'field']} label="Field" list="policy-fields" placeholder="dealSize" />
      {operators.length === 0 ? (
        <OperatorRow path={path} operator={undefined} field={field} removable={false} />
      ) : (
        operators.map((operator) => (
          <OperatorRow key={operator} path={path} operator={operator} field={field} removable={operators.length > 1} />
        ))
      )}
    </div>
  );
}

function OperatorRow({
  path,
  operator,
  field,
  removable,
}: {
  path: Path;
  operator: string | undefined;
  field: string;
  removable: boolean;
}) {
  const form = useForm();
  const known = OPERATORS.find((candidate) => candidate.key === operator);
  const key = formatPath([...path, operator ?? 'operator']);
  const selectId = idFor(key, 'op');
  const value = operator === undefined ? undefined : getAt(form.draft, [...path, operator]);
  const rename = (to: string): void => {
    const target = OPERATORS.find((candidate) => candidate.key === to);
    if (target === undefined) return;
    form.update((draft) => {
      const leaf = asObject(getAt(draft, path)) ?? {};
      const entries = Object.entries(leaf).map(([name, old]): [string, Json] =>
        name === operator ? [to, convertValue(old, target)] : [name, old],
      );
      if (operator === undefined) entries.push([to, convertValue(undefined, target)]);
      return setAt(draft, path, Object.fromEntries(entries));
    });
  };
  return (
    <div class="operator-row">
      <div class="field">
        <label for={selectId}>Test</label>
        <select
          id={selectId}
          value={operator ?? ''}
          onChange={(event) => {
            rename(event.currentTarget.value);
          }}
        >
          {operator === undefined ? <option value="">Choose…</option> : null}
          {known === undefined && operator !== undefined ? (
            <option value={operator}>{operator} (unknown)</option>
          ) : null}
          {OPERATORS.map((candidate) => (
            <option key={candidate.key} value={candidate.key}>
              {candidate.label}
            </option>
          ))}
        </select>
      </div>
      {operator === undefined ? null : (
        <ValueField path={[...path, operator]} operator={known} value={value} field={field} />
      )}
      {removable && operator !== undefined ? (
        <button
          type="button"
          class="link danger"
          onClick={() => {
            form.set([...path, operator], undefined);
          }}
        >
          Remove this test
        </button>
      ) : null}
    </div>
  );
}

function ValueField({
  path,
  operator,
  value,
  field,
}: {
  path: Path;
  operator: Operator | undefined;
  value: Json | undefined;
  field: string;
}) {
  const form = useForm();
  const kind = operator?.value ?? 'scalar';
  const read = (text: string): Json =>
    kind === 'number' ? readNumber(text) : kind === 'list' ? readList(text) : readScalar(text);
  const format = (current: Json | undefined): string =>
    kind === 'list'
      ? formatList(current)
      : kind === 'number' && typeof current === 'number'
        ? String(current)
        : formatScalar(current);
  const [text, setText] = useState(() => format(value));
  useEffect(() => {
    if (JSON.stringify(read(text)) !== JSON.stringify(value)) setText(format(value));
  }, [value, kind]);
  const label = `${field === '' ? 'Value' : field} ${operator?.symbol ?? ''}`.trim();
  if (kind === 'boolean') {
    return (
      <Field path={path} label={label}>
        {(props) => (
          <select
            {...props}
            value={value === false ? 'false' : 'true'}
            onChange={(event) => {
              form.set(path, event.currentTarget.value === 'true');
            }}
          >
            <option value="true">is set</option>
            <option value="false">is missing</option>
          </select>
        )}
      </Field>
    );
  }
  return (
    <Field
      path={path}
      label={label}
      hint={
        kind === 'list'
          ? 'Separate values with commas.'
          : kind === 'scalar'
            ? 'Numbers and true/false are read as such; "quote" text that looks like one.'
            : undefined
      }
    >
      {(props) => (
        <input
          {...props}
          type="text"
          class={kind === 'number' ? 'number' : ''}
          inputMode={kind === 'number' ? 'decimal' : undefined}
          value={text}
          autocomplete="off"
          spellcheck={false}
          onInput={(event) => {
            setText(event.currentTarget.value);
            form.set(path, read(event.currentTarget.value));
          }}
        />
      )}
    </Field>
  );
}
