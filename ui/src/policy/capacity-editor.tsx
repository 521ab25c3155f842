/** The policy form's capacity editor: seats per tier, how companies are ranked for them, and the waitlist. */
import { asArray, asObject, formatPath, getAt, idFor, renameKey } from '../lib/json.ts';
import { formatNumber } from '../lib/format.ts';
import { useForm } from './context.ts';
import { CheckboxField, NumberField, Problems, SelectField, TextField } from './fields.tsx';

export function CapacityEditor() {
  const form = useForm();
  const path = ['company', 'capacity'];
  const capacity = asObject(getAt(form.draft, path)) ?? {};
  const entries = Object.keys(capacity);
  const free = form.tiers.slice(1).filter((tier) => !(tier.value in capacity));
  const key = formatPath(path);
  return (
    <section class="sub" aria-labelledby="h-capacity-editor" data-path={key}>
      <h3 id="h-capacity-editor">
        Capacity <span class="count">{formatNumber(entries.length)}</span>
      </h3>
      <p class="hint">
        Seats per tier. When more companies qualify than there are seats, the best ranked keep the tier and the rest
        move down one tier (the waitlist). Floors and overrides always keep their seat.
      </p>
      <Problems path={key} />
      {entries.map((tier) => (
        <CapacityEntry key={tier} tier={tier} />
      ))}
      {free.length === 0 ? null : (
        <div class="add-capacity">
          {free.map((tier) => (
            <button
              key={tier.value}
              type="button"
              class="secondary small"
              onClick={() => {
                form.set([...path, tier.value], { max: 10, rankBy: [{ field: 'dealSize', order: 'desc' }] });
              }}
            >
              Limit {tier.label} seats
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

function CapacityEntry({ tier }: { tier: string }) {
  const form = useForm();
  const path = ['company', 'capacity', tier];
  const entry = asObject(getAt(form.draft, path)) ?? {};
  const max = getAt(form.draft, [...path, 'max']);
  const byCsm = asObject(max) !== undefined;
  const rankBy = asArray(entry['rankBy']) ?? [];
  const label = form.tiers.find((candidate) => candidate.value === tier)?.label ?? tier;
  const key = formatPath(path);
  const csms = asObject(max)?.['csms'];
  const perCsm = asObject(max)?.['accountsPerCsm'];
  const modeName = `${key}-mode`;
  return (
    <fieldset class="item" data-path={key}>
      <legend>{label} capacity</legend>
      <div class="item-tools">
        <button
          type="button"
          class="icon danger"
          aria-label={`Remove the ${label} capacity`}
          title="Remove"
          onClick={() => {
            form.set(path, undefined);
          }}
        >
          ×
        </button>
      </div>
      <div class="row">
        <div class="field">
          <label for={idFor(key, 'tier')}>Tier</label>
          <select
            id={idFor(key, 'tier')}
            value={tier}
            onChange={(event) => {
              const to = event.currentTarget.value;
              form.update((draft) => renameKey(draft, ['company', 'capacity'], tier, to));
            }}
          >
            {form.tiers.some((candidate) => candidate.value === tier) ? null : <option value={tier}>{tier}</option>}
            {form.tiers.map((candidate) => (
              <option
                key={candidate.value}
                value={candidate.value}
                disabled={
                  candidate.value !== tier &&
                  candidate.value in (asObject(getAt(form.draft, ['company', 'capacity'])) ?? {})
                }
              >
                {candidate.label}
              </option>
            ))}
          </select>
        </div>
        <fieldset class="radios">
          <legend>Seats given as</legend>
          <label>
            <input
              type="radio"
              name={modeName}
              checked={!byCsm}
              onChange={() => {
                const seats = typeof csms === 'number' && typeof perCsm === 'number' ? csms * perCsm : 10;
                form.set([...path, 'max'], seats);
              }}
            />{' '}
            a number of seats
          </label>
          <label>
            <input
              type="radio"
              name={modeName}
              checked={byCsm}
              onChange={() => {
                form.set([...path, 'max'], { csms: 1, accountsPerCsm: typeof max === 'number' ? max : 25 });
              }}
            />{' '}
            CSMs × accounts per CSM
          </label>
        </fieldset>
      </div>
      <div class="row">
        {byCsm ? (
          <>
            <NumberField path={[...path, 'max', 'csms']} label="CSMs" />
            <NumberField path={[...path, 'max', 'accountsPerCsm']} label="Accounts per CSM" />
            <p class="computed">
              {typeof csms === 'number' && typeof perCsm === 'number' ? `= ${formatNumber(csms * perCsm)} seats` : ''}
            </p>
          </>
        ) : (
          <NumberField path={[...path, 'max']} label="Seats" />
        )}
      </div>
      <Problems path={formatPath([...path, 'max'])} />
      <fieldset class="rank-by" data-path={formatPath([...path, 'rankBy'])}>
        <legend>Ranked by (who keeps a seat first)</legend>
        <Problems path={formatPath([...path, 'rankBy'])} />
        {rankBy.map((_key, index) => (
          <div class="row rank-row" key={index}>
            <TextField
              path={[...path, 'rankBy', index, 'field']}
              label={`Key ${index + 1}: field`}
              list="policy-fields"
            />
            <SelectField
              path={[...path, 'rankBy', index, 'order']}
              label="Order"
              options={[
                { value: 'desc', label: 'Highest first' },
                { value: 'asc', label: 'Lowest first' },
              ]}
            />
            <button
              type="button"
              class="icon danger"
              aria-label={`Remove ranking key ${index + 1}`}
              title="Remove"
              onClick={() => {
                form.set([...path, 'rankBy', index], undefined);
              }}
            >
              ×
            </button>
            <Problems path={formatPath([...path, 'rankBy', index])} />
          </div>
        ))}
        <button
          type="button"
          class="secondary small"
          onClick={() => {
            form.set([...path, 'rankBy'], [...rankBy, { field: form.fields[0] ?? 'dealSize', order: 'desc' }]);
          }}
        >
          Add a ranking key
        </button>
      </fieldset>
      <CheckboxField
        path={[...path, 'preferIncumbents']}
        label="Companies already in the tier keep their seat first"
        defaultValue
      />
      <Problems path={key} />
    </fieldset>
  );
}
