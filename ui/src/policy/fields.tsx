/**
 * The policy form's fields. Each is bound to a path of the draft (`data-path`), and shows the
 * problems the server found at that path right under it (aria-invalid, aria-describedby).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatPath, getAt, idFor, type Json, type Path } from '../lib/json.ts';
import { readNumber } from '../lib/values.ts';
import { useForm } from './context.ts';

export interface InputProps {
  readonly id: string;
  readonly 'data-path': string;
  readonly 'aria-invalid': 'true' | undefined;
  readonly 'aria-describedby': string | undefined;
}

export function Problems({ path, id }: { path: string; id?: string }) {
  const form = useForm();
  const problems = form.problemsAt(path);
  if (problems.length === 0) return null;
  return (
    <ul class="problems" id={id ?? idFor(path, 'p')} data-problems-for={path}>
      {problems.map((message, index) => (
        <li key={index}>{message}</li>
      ))}
    </ul>
  );
}

export function Field({
  path,
  label,
  hint,
  wide,
  children,
}: {
  path: Path;
  label: ComponentChildren;
  hint?: ComponentChildren;
  wide?: boolean;
  children: (props: InputProps) => ComponentChildren;
}) {
  const form = useForm();
  const key = formatPath(path);
  const id = idFor(key);
  const invalid = form.problemsAt(key).length > 0;
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  const problemId = invalid ? idFor(key, 'p') : undefined;
  const describedBy = [problemId, hintId].filter((part) => part !== undefined).join(' ') || undefined;
  return (
    <div class={`field${invalid ? ' invalid' : ''}${wide === true ? ' wide' : ''}`}>
      <label for={id}>{label}</label>
      {children({
        id,
        'data-path': key,
        'aria-invalid': invalid ? 'true' : undefined,
        'aria-describedby': describedBy,
      })}
      {hint === undefined ? null : (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      <Problems path={key} />
    </div>
  );
}

/** Text that the form turns into a value, kept as typed while it is being edited. */
function useText(
  value: Json | undefined,
  read: (text: string) => Json | undefined,
  format: (value: Json | undefined) => string,
) {
  const [text, setText] = useState(() => format(value));
  useEffect(() => {
    // A change from elsewhere (JSON view, another version, a conversion) replaces the text.
    if (JSON.stringify(read(text)) !== JSON.stringify(value)) setText(format(value));
  }, [value]);
  return [text, setText] as const;
}

function formatAny(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function TextField({
  path,
  label,
  hint,
  optional = false,
  placeholder,
  list,
  wide,
}: {
  path: Path;
  label: string;
  hint?: ComponentChildren;
  /** Empty text removes the key. */
  optional?: boolean;
  placeholder?: string;
  list?: string;
  wide?: boolean;
}) {
  const form = useForm();
  const value = getAt(form.draft, path);
  const read = (text: string): Json | undefined => (optional && text.trim() === '' ? undefined : text);
  const [text, setText] = useText(value, read, formatAny);
  return (
    <Field path={path} label={label} hint={hint} wide={wide ?? false}>
      {(props) => (
        <input
          {...props}
          type="text"
          value={text}
          placeholder={placeholder}
          list={list}
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

export function NumberField({
  path,
  label,
  hint,
  optional = false,
  placeholder,
}: {
  path: Path;
  label: string;
  hint?: ComponentChildren;
  optional?: boolean;
  placeholder?: string;
}) {
  const form = useForm();
  const value = getAt(form.draft, path);
  const read = (text: string): Json | undefined => (optional && text.trim() === '' ? undefined : readNumber(text));
  const [text, setText] = useText(value, read, formatAny);
  return (
    <Field path={path} label={label} hint={hint}>
      {(props) => (
        <input
          {...props}
          type="text"
          inputMode="decimal"
          class="number"
          value={text}
          placeholder={placeholder}
          autocomplete="off"
          onInput={(event) => {
            setText(event.currentTarget.value);
            form.set(path, read(event.currentTarget.value));
          }}
        />
      )}
    </Field>
  );
}

export interface Option {
  readonly value: string;
  readonly label: string;
}

export function SelectField({
  path,
  label,
  options,
  hint,
  unset,
}: {
  path: Path;
  label: string;
  options: readonly Option[];
  hint?: ComponentChildren;
  /** When given, an option that removes the key (the policy's default applies). */
  unset?: string;
}) {
  const form = useForm();
  const value = getAt(form.draft, path);
  const current = value === undefined ? '' : formatAny(value);
  const known = options.some((option) => option.value === current);
  return (
    <Field path={path} label={label} hint={hint}>
      {(props) => (
        <select
          {...props}
          value={current}
          onChange={(event) => {
            const chosen = event.currentTarget.value;
            form.set(path, chosen === '' && unset !== undefined ? undefined : chosen);
          }}
        >
          {unset === undefined ? null : <option value="">{unset}</option>}
          {!known && current !== '' ? <option value={current}>{current} (not an option)</option> : null}
          {unset === undefined && value === undefined ? <option value="">Choose…</option> : null}
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function TierSelect({
  path,
  label,
  hint,
  unset,
}: {
  path: Path;
  label: string;
  hint?: ComponentChildren;
  unset?: string;
}) {
  const form = useForm();
  return (
    <SelectField
      path={path}
      label={label}
      hint={hint}
      {...(unset === undefined ? {} : { unset })}
      options={form.tiers.map((tier) => ({ value: tier.value, label: tier.label }))}
    />
  );
}

export function CheckboxField({
  path,
  label,
  hint,
  defaultValue,
}: {
  path: Path;
  label: string;
  hint?: ComponentChildren;
  defaultValue: boolean;
}) {
  const form = useForm();
  const key = formatPath(path);
  const id = idFor(key);
  const value = getAt(form.draft, path);
  const checked = typeof value === 'boolean' ? value : defaultValue;
  const invalid = form.problemsAt(key).length > 0;
  return (
    <div class={`field checkbox${invalid ? ' invalid' : ''}`}>
      <input
        type="checkbox"
        id={id}
        data-path={key}
        checked={checked}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={
          [invalid ? idFor(key, 'p') : undefined, hint === undefined ? undefined : `${id}-hint`]
            .filter((part) => part !== undefined)
            .join(' ') || undefined
        }
        onChange={(event) => {
          form.set(path, event.currentTarget.checked);
        }}
      />
      <label for={id}>{label}</label>
      {hint === undefined ? null : (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <Problems path={key} />
    </div>
  );
}
