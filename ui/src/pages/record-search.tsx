/**
 * Finding a record as you type: by the start of a company's name or domain, a contact's name or
 * email, or a record id (`GET /api/installations/:id/records?q=…`). A page of matches with their
 * current tier; a match opens the record view.
 */
import { api, installationPath } from '../api.ts';
import { Empty, ErrorBox, Loading, TierBadge } from '../components/common.tsx';
import { href, useDebounced, useLoad } from '../hooks.ts';
import type { FindRecordsResponse, FoundRecord, RecordType, Tier } from '../types.ts';

/** Typing pauses this long before a search is sent. */
export const SEARCH_DEBOUNCE_MS = 250;

export type SearchType = RecordType | 'any';

export function recordLabel(record: FoundRecord): string {
  return record.display?.name ?? record.display?.domain ?? record.display?.email ?? `${record.type} ${record.id}`;
}

export function RecordMatches({
  installationId,
  text,
  type,
  tiers,
}: {
  installationId: string;
  text: string;
  type: SearchType;
  tiers: readonly Tier[];
}) {
  const settled = useDebounced(text.trim(), SEARCH_DEBOUNCE_MS);
  const found = useLoad<FindRecordsResponse | null>(
    async (signal) => {
      if (settled === '') return null;
      const query = new URLSearchParams({ q: settled, ...(type === 'any' ? {} : { type }) });
      return api<FindRecordsResponse>(installationPath(installationId, `/records?${query.toString()}`), { signal });
    },
    [installationId, settled, type],
  );
  if (settled === '') return null;
  if (found.state === 'loading') return <Loading what="matches" />;
  if (found.state === 'error') {
    return <ErrorBox error={found.error} title="The search failed." onRetry={found.reload} />;
  }
  if (found.data === null) return null;
  const { matches, more } = found.data;
  if (matches.length === 0) {
    return (
      <Empty>
        No record’s name, domain, email or id starts with “{settled}”. A record created since the last sync appears
        after the next one.
      </Empty>
    );
  }
  return (
    <div class="table-scroll" aria-live="polite">
      <table data-table="matches">
        <thead>
          <tr>
            <th scope="col">Record</th>
            <th scope="col">Type</th>
            <th scope="col">Domain or email</th>
            <th scope="col">Id</th>
            <th scope="col">Tier</th>
          </tr>
        </thead>
        <tbody>
          {matches.map((record) => (
            <tr key={`${record.type}:${record.id}`} data-match={`${record.type}:${record.id}`}>
              <td>
                <a href={href('records', { type: record.type, id: record.id })}>{recordLabel(record)}</a>
              </td>
              <td>{record.type === 'company' ? 'Company' : 'Contact'}</td>
              <td>{record.display?.domain ?? record.display?.email ?? ''}</td>
              <td class="muted">{record.id}</td>
              <td>
                {record.tier === null ? (
                  <span class="muted">none yet</span>
                ) : (
                  <TierBadge tiers={tiers} value={record.tier} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {more ? <p class="hint">More records match: type more of the name to narrow the list.</p> : null}
    </div>
  );
}
