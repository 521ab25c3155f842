/**
 * What a candidate policy would do, from POST /preview: how many records change and what applying
 * costs, the distribution before and after, the from → to matrix per record type (each cell opens
 * sample records with their reasons), and capacity under the candidate.
 */
import { useMemo, useState } from 'preact/hooks';
import { ChartView } from '../components/chart.tsx';
import { tierColor, tierLabel } from '../components/common.tsx';
import { CapacityTable, TYPE_NAMES } from '../components/tiers.tsx';
import { href } from '../hooks.ts';
import { formatNumber, plural } from '../lib/format.ts';
import { buildMatrix, cellKey, firstCell, NONE, type Matrix, type MatrixCell } from '../lib/matrix.ts';
import type { Policy, PreviewResponse, RecordType, Tier } from '../types.ts';

const NOUNS: Record<RecordType, [string, string]> = {
  company: ['company', 'companies'],
  contact: ['contact', 'contacts'],
};

export function PreviewResult({ result, policy }: { result: PreviewResponse; policy: Policy }) {
  const tiers = result.summary.tiers;
  const matrices = useMemo(
    () => ({
      company: buildMatrix('company', tiers, result.movements),
      contact: buildMatrix('contact', tiers, result.movements),
    }),
    [tiers, result.movements],
  );
  const initial = useMemo(() => {
    for (const type of ['company', 'contact'] as const) {
      const cell = firstCell(matrices[type]);
      if (cell !== undefined && cell.from !== cell.to) return { type, key: cellKey(cell.from, cell.to) };
    }
    const cell = firstCell(matrices.company) ?? firstCell(matrices.contact);
    return cell === undefined
      ? undefined
      : { type: cell.movement?.type ?? 'company', key: cellKey(cell.from, cell.to) };
  }, [matrices]);
  const [selected, setSelected] = useState(initial);
  const chosen = selected ?? initial;
  const chosenCell = chosen === undefined ? undefined : matrices[chosen.type].cells.get(chosen.key);
  return (
    <div class="preview-result" data-preview>
      <dl class="stats big">
        <div>
          <dt>Would change tier</dt>
          <dd data-stat="changed">{plural(result.changed, 'record')}</dd>
          <dd class="muted">
            {plural(matrices.company.changed, 'company', 'companies')}, {plural(matrices.contact.changed, 'contact')}
          </dd>
          {result.rewritten === 0 ? null : (
            <dd class="muted" data-stat="rewritten">
              and {plural(result.rewritten, 'record')} keeping their tier get a new reason or hint
            </dd>
          )}
        </div>
        <div>
          <dt>Applying costs</dt>
          <dd data-stat="api-calls">{plural(result.apiCalls, 'API call')}</dd>
          <dd class="muted">batched CRM updates, on the next sync</dd>
        </div>
      </dl>
      {result.summary.withPrevious ? null : (
        <p class="notice info">No record has a tier yet: every record counts as new.</p>
      )}

      <h3>Distribution now and with this policy</h3>
      <div class="grid-2 tight">
        <BeforeAfter matrix={matrices.company} tiers={tiers} />
        <BeforeAfter matrix={matrices.contact} tiers={tiers} />
      </div>

      <h3>Who moves</h3>
      <p class="hint">
        Rows: the tier now. Columns: the tier with this policy. Highlighted cells change tier; choose a cell to see
        sample records and their reasons.
      </p>
      {(['company', 'contact'] as const).map((type) => (
        <MovementMatrix
          key={type}
          matrix={matrices[type]}
          tiers={tiers}
          selected={chosen?.type === type ? chosen.key : undefined}
          onSelect={(key) => {
            setSelected({ type, key });
          }}
        />
      ))}
      {chosenCell === undefined || chosen === undefined ? null : (
        <Samples cell={chosenCell} type={chosen.type} tiers={tiers} />
      )}

      <h3>Capacity with this policy</h3>
      <CapacityTable reports={result.summary.capacity} policy={policy} name="preview" />
    </div>
  );
}

function BeforeAfter({ matrix, tiers }: { matrix: Matrix; tiers: readonly Tier[] }) {
  const title = TYPE_NAMES[matrix.type];
  const columns = useMemo(() => {
    const all = [...new Set([...matrix.rows, ...matrix.columns])];
    return all.filter((value) => value !== NONE || (matrix.before[NONE] ?? 0) > 0);
  }, [matrix]);
  const data = useMemo(
    () => ({
      labels: columns.map((value) => tierLabel(tiers, value)),
      datasets: [
        { label: 'Now', data: columns.map((value) => matrix.before[value] ?? 0), backgroundColor: '#8b95a3' },
        {
          label: 'With this policy',
          data: columns.map((value) => matrix.after[value] ?? 0),
          backgroundColor: '#1f6fb2',
        },
      ],
    }),
    [columns, matrix, tiers],
  );
  return (
    <figure class="chart-card">
      <figcaption>
        <h4>{title}</h4>
      </figcaption>
      {matrix.total === 0 ? (
        <p class="empty">No {matrix.type} records synced yet.</p>
      ) : (
        <ChartView
          type="bar"
          name={`preview-${matrix.type}`}
          data={data}
          height={170}
          label={`${title} now and with this policy: ${columns
            .map(
              (value) =>
                `${tierLabel(tiers, value)} ${formatNumber(matrix.before[value] ?? 0)} → ${formatNumber(matrix.after[value] ?? 0)}`,
            )
            .join(', ')}`}
        />
      )}
      <table class="compact" data-table={`before-after-${matrix.type}`}>
        <thead>
          <tr>
            <th scope="col">Tier</th>
            <th scope="col" class="num">
              Now
            </th>
            <th scope="col" class="num">
              After
            </th>
            <th scope="col" class="num">
              Change
            </th>
          </tr>
        </thead>
        <tbody>
          {columns.map((value) => {
            const delta = (matrix.after[value] ?? 0) - (matrix.before[value] ?? 0);
            return (
              <tr key={value} data-tier={value}>
                <th scope="row">{tierLabel(tiers, value)}</th>
                <td class="num">{formatNumber(matrix.before[value] ?? 0)}</td>
                <td class="num">{formatNumber(matrix.after[value] ?? 0)}</td>
                <td class={`num ${delta > 0 ? 'up' : delta < 0 ? 'down' : 'muted'}`}>
                  {delta > 0 ? `+${formatNumber(delta)}` : delta === 0 ? '0' : formatNumber(delta)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}

function MovementMatrix({
  matrix,
  tiers,
  selected,
  onSelect,
}: {
  matrix: Matrix;
  tiers: readonly Tier[];
  selected: string | undefined;
  onSelect: (key: string) => void;
}) {
  const [one, many] = NOUNS[matrix.type];
  if (matrix.total === 0) return null;
  return (
    <div class="table-scroll">
      <table class="matrix" data-matrix={matrix.type}>
        <caption>
          {TYPE_NAMES[matrix.type]}: {plural(matrix.changed, one, many)} would change tier
        </caption>
        <thead>
          <tr>
            <th scope="col">
              <span class="sr-only">Now</span>
              <span aria-hidden="true">now ↓ / after →</span>
            </th>
            {matrix.columns.map((column) => (
              <th scope="col" key={column}>
                <span class="swatch" style={{ background: tierColor(tiers, column) }} aria-hidden="true" />
                {tierLabel(tiers, column)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.rows.map((row) => (
            <tr key={row}>
              <th scope="row">{tierLabel(tiers, row)}</th>
              {matrix.columns.map((column) => {
                const key = cellKey(row, column);
                const cell = matrix.cells.get(key);
                if (cell === undefined) {
                  return (
                    <td key={column} class="empty-cell">
                      <span aria-hidden="true">·</span>
                      <span class="sr-only">none</span>
                    </td>
                  );
                }
                const kind =
                  cell.from === cell.to ? 'stay' : cell.direction > 0 ? 'up' : cell.direction < 0 ? 'down' : 'new';
                return (
                  <td key={column} class={`cell ${kind}`} data-from={row} data-to={column}>
                    <button
                      type="button"
                      aria-pressed={selected === key}
                      aria-label={`${tierLabel(tiers, row)} to ${tierLabel(tiers, column)}: ${plural(cell.count, one, many)}`}
                      onClick={() => {
                        onSelect(key);
                      }}
                    >
                      {formatNumber(cell.count)}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Samples({ cell, type, tiers }: { cell: MatrixCell; type: RecordType; tiers: readonly Tier[] }) {
  const [one, many] = NOUNS[type];
  const samples = cell.movement?.samples ?? [];
  return (
    <section class="samples" aria-live="polite" data-samples={`${type}:${cell.from}:${cell.to}`}>
      <h4>
        {tierLabel(tiers, cell.from)} → {tierLabel(tiers, cell.to)}: {plural(cell.count, one, many)}
        {samples.length < cell.count ? <span class="muted"> (showing {samples.length})</span> : null}
      </h4>
      <ul>
        {samples.map((sample) => (
          <li key={sample.id}>
            <a href={href('records', { type, id: sample.id })}>
              {type} {sample.id}
            </a>
            <ul class="reasons">
              {sample.reasons.map((reason, index) => (
                <li key={index}>{reason}</li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}
