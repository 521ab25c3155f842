/** The policy as a form: tiers, then per section its rules, caps, floors, capacity and hysteresis. */
import { asArray, asObject, formatPath, getAt, moveItem, type Json, type Path } from '../lib/json.ts';
import type { SectionName } from '../lib/form-paths.ts';
import { formatNumber } from '../lib/format.ts';
import { CapacityEditor } from './capacity-editor.tsx';
import { blankLeaf, ConditionEditor } from './condition.tsx';
import { useForm } from './context.ts';
import { NumberField, Problems, SelectField, TextField, TierSelect } from './fields.tsx';

export function PolicyFormView() {
  const form = useForm();
  return (
    <div class="policy-form">
      <Problems path="(policy)" />
      <TiersEditor />
      <SectionEditor name="company" />
      <SectionEditor name="contact" />
      <ManualEditsEditor />
      <datalist id="policy-fields">
        {form.fields.map((field) => (
          <option key={field} value={field} />
        ))}
      </datalist>
    </div>
  );
}

function ItemTools({ path, index, count, noun }: { path: Path; index: number; count: number; noun: string }) {
  const form = useForm();
  const name = `${noun} ${index + 1}`;
  return (
    <div class="item-tools">
      <button
        type="button"
        class="icon"
        aria-label={`Move ${name} up`}
        title="Move up"
        disabled={index === 0}
        onClick={() => {
          form.update((draft) => moveItem(draft, path, index, -1));
        }}
      >
        ↑
      </button>
      <button
        type="button"
        class="icon"
        aria-label={`Move ${name} down`}
        title="Move down"
        disabled={index === count - 1}
        onClick={() => {
          form.update((draft) => moveItem(draft, path, index, 1));
        }}
      >
        ↓
      </button>
      <button
        type="button"
        class="icon danger"
        aria-label={`Remove ${name}`}
        title="Remove"
        onClick={() => {
          form.set([...path, index], undefined);
        }}
      >
        ×
      </button>
    </div>
  );
}

function TiersEditor() {
  const form = useForm();
  const tiers = asArray(getAt(form.draft, ['tiers'])) ?? [];
  return (
    <section class="card" aria-labelledby="h-tiers" data-path="tiers">
      <h2 id="h-tiers">Tiers</h2>
      <p class="hint">Least touch first. The value is what is written to the CRM; the label is what people read.</p>
      <Problems path="tiers" />
      <ol class="tier-list">
        {tiers.map((_tier, index) => (
          <li key={index} class="tier-row" data-path={formatPath(['tiers', index])}>
            <TextField path={['tiers', index, 'value']} label={`Tier ${index + 1} value`} placeholder="high_touch" />
            <TextField path={['tiers', index, 'label']} label="Label" placeholder="High-touch" />
            <ItemTools path={['tiers']} index={index} count={tiers.length} noun="tier" />
            <Problems path={formatPath(['tiers', index])} />
          </li>
        ))}
      </ol>
      <button
        type="button"
        class="secondary small"
        onClick={() => {
          form.set(['tiers'], [...tiers, { value: '', label: '' }]);
        }}
      >
        Add a tier
      </button>
    </section>
  );
}

const SECTION_TITLES: Record<SectionName, string> = { company: 'Companies', contact: 'Contacts' };

function SectionEditor({ name }: { name: SectionName }) {
  const form = useForm();
  const section = asObject(getAt(form.draft, [name]));
  const headingId = `h-section-${name}`;
  if (section === undefined) {
    return (
      <section class="card" aria-labelledby={headingId} data-path={name}>
        <h2 id={headingId}>{SECTION_TITLES[name]}</h2>
        <Problems path={name} />
        <p class="empty">
          This policy has no {name} section: every {name} gets the lowest tier.
        </p>
        <button
          type="button"
          class="secondary small"
          onClick={() => {
            form.set([name], {});
          }}
        >
          Add a {name} section
        </button>
      </section>
    );
  }
  const lowest = form.tiers[0]?.label ?? 'the lowest tier';
  return (
    <section class="card" aria-labelledby={headingId} data-path={name}>
      <h2 id={headingId}>{SECTION_TITLES[name]}</h2>
      <Problems path={name} />
      <div class="row">
        <TierSelect
          path={[name, 'default']}
          label="Default tier"
          unset={`Lowest (${lowest})`}
          hint="When no rule matches."
        />
        {name === 'contact' ? (
          <SelectField
            path={[name, 'inherit']}
            label="Inherit from the company"
            unset="Yes (default)"
            options={[
              { value: 'company', label: 'Yes: at least the company’s tier' },
              { value: 'none', label: 'No' },
            ]}
          />
        ) : null}
      </div>
      <ListEditor
        section={name}
        list="rules"
        tierKey="tier"
        title="Rules"
        noun="rule"
        tierLabel="Tier"
        hint="The highest tier among the rules that match wins (their order does not matter); no match gives the default."
      />
      <ListEditor
        section={name}
        list="caps"
        tierKey="maxTier"
        title="Caps"
        noun="cap"
        tierLabel="At most"
        hint="When a cap's condition holds, the tier is lowered to at most the cap's tier."
      />
      <ListEditor
        section={name}
        list="floors"
        tierKey="minTier"
        title="Floors"
        noun="floor"
        tierLabel="At least"
        hint="When a floor's condition holds, the tier is raised to at least the floor's tier (after caps: a contract outranks a preference). Floors keep their capacity seat."
      />
      {name === 'company' ? <CapacityEditor /> : null}
      <HysteresisEditor section={name} />
    </section>
  );
}

function ListEditor({
  section,
  list,
  tierKey,
  title,
  noun,
  tierLabel,
  hint,
}: {
  section: SectionName;
  list: 'rules' | 'caps' | 'floors';
  tierKey: 'tier' | 'maxTier' | 'minTier';
  title: string;
  noun: string;
  tierLabel: string;
  hint: string;
}) {
  const form = useForm();
  const path = [section, list];
  const items = asArray(getAt(form.draft, path)) ?? [];
  const key = formatPath(path);
  const headingId = `h-${section}-${list}`;
  const defaultTier =
    list === 'caps' ? form.tiers[1]?.value : list === 'floors' ? form.tiers.at(-1)?.value : form.tiers.at(-1)?.value;
  return (
    <section class="sub" aria-labelledby={headingId} data-path={key}>
      <h3 id={headingId}>
        {title} <span class="count">{formatNumber(items.length)}</span>
      </h3>
      <p class="hint">{hint}</p>
      <Problems path={key} />
      {items.map((_item, index) => {
        const itemPath = [...path, index];
        const name = `${section === 'company' ? 'Company' : 'Contact'} ${noun} ${index + 1}`;
        return (
          <fieldset key={index} class="item" data-path={formatPath(itemPath)}>
            <legend>{name}</legend>
            <ItemTools path={path} index={index} count={items.length} noun={noun} />
            <div class="row">
              <TierSelect path={[...itemPath, tierKey]} label={tierLabel} />
              <TextField
                path={[...itemPath, 'label']}
                label="Label (optional)"
                optional
                hint={
                  list === 'rules'
                    ? 'Named in the reason, after the condition.'
                    : 'Shown as the reason instead of the condition.'
                }
                wide
              />
            </div>
            <ConditionEditor path={[...itemPath, 'when']} legend="When" />
            <Problems path={formatPath(itemPath)} />
          </fieldset>
        );
      })}
      <button
        type="button"
        class="secondary small"
        onClick={() => {
          const item: Record<string, Json> = { [tierKey]: defaultTier ?? '', when: blankLeaf(form.fields[0] ?? '') };
          form.set(path, [...items, item]);
        }}
      >
        Add a {noun}
      </button>
    </section>
  );
}

function HysteresisEditor({ section }: { section: SectionName }) {
  const path = [section, 'hysteresis'];
  const key = formatPath(path);
  const headingId = `h-${section}-hysteresis`;
  return (
    <section class="sub" aria-labelledby={headingId} data-path={key}>
      <h3 id={headingId}>Hysteresis</h3>
      <p class="hint">Keeps records from flapping between tiers: demotions wait, or need a clear margin.</p>
      <Problems path={key} />
      <div class="row">
        <NumberField
          path={[...path, 'minDaysInTier']}
          label="Minimum days in a tier"
          optional
          placeholder="0"
          hint="No demotion before this many days in the tier."
        />
        <NumberField
          path={[...path, 'demotionMargin']}
          label="Demotion margin"
          optional
          placeholder="0"
          hint="0.1: a threshold of 100,000 keeps the tier down to 90,000."
        />
      </div>
    </section>
  );
}

/** RightTouch's `manualEdits` setting (not the spec's): what a sync does with a tier set by hand in the CRM. */
function ManualEditsEditor() {
  return (
    <section class="card" aria-labelledby="h-manual-edits" data-path="manualEdits">
      <h2 id="h-manual-edits">Hand edits in the CRM</h2>
      <SelectField
        path={['manualEdits']}
        label="A tier someone set by hand"
        unset="Put it back (default)"
        options={[
          { value: 'revert', label: 'Put it back' },
          { value: 'keepAsOverride', label: 'Keep it as the record’s override' },
        ]}
        hint="Changes no decision: it says whether the next sync puts RightTouch’s tier back or copies the person’s tier into the override."
      />
    </section>
  );
}
