/**
 * Record lookup: find a company or contact by name, domain, email or id as you type
 * (record-search.tsx), then its tier with the reasons and its history.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, installationPath } from '../api.ts';
import { ErrorBox, Loading, Notice, TierBadge } from '../components/common.tsx';
import { href, useLoad } from '../hooks.ts';
import { formatAgo, formatTime } from '../lib/format.ts';
import type { PolicyResponse, RecordResponse, RecordType, Tier } from '../types.ts';
import { RecordMatches, type SearchType } from './record-search.tsx';

export function RecordsPage({
  installationId,
  crm,
  params,
}: {
  installationId: string;
  crm: string;
  params: URLSearchParams;
}) {
  const type: RecordType = params.get('type') === 'contact' ? 'contact' : 'company';
  const id = params.get('id')?.trim() ?? '';
  const [draftType, setDraftType] = useState<SearchType>('any');
  const [draft, setDraft] = useState('');
  // The matches show while typing; opening a record (a match, or an id looked up) hides them.
  const [searching, setSearching] = useState(false);
  useEffect(() => {
    setSearching(false);
  }, [type, id]);
  const tiers = useLoad<readonly Tier[]>(
    async (signal) =>
      (await api<PolicyResponse>(installationPath(installationId, '/policy'), { signal })).active?.policy.tiers ?? [],
    [installationId],
  );
  return (
    <div class="records-page">
      <section class="card" aria-labelledby="h-lookup">
        <h2 id="h-lookup">Look up a record</h2>
        <form
          class="lookup"
          onSubmit={(event) => {
            event.preventDefault();
            const trimmed = draft.trim();
            const lookupType = draftType === 'any' ? type : draftType;
            if (trimmed !== '') window.location.hash = href('records', { type: lookupType, id: trimmed });
          }}
        >
          <div class="field">
            <label for="lookup-type">Type</label>
            <select
              id="lookup-type"
              value={draftType}
              onChange={(event) => {
                const value = event.currentTarget.value;
                setDraftType(value === 'contact' || value === 'company' ? value : 'any');
              }}
            >
              <option value="any">Companies and contacts</option>
              <option value="company">Company</option>
              <option value="contact">{crm === 'salesforce' ? 'Contact or lead' : 'Contact'}</option>
            </select>
          </div>
          <div class="field grow">
            <label for="lookup-id">Name, domain, email or record id</label>
            <input
              id="lookup-id"
              type="search"
              value={draft}
              required
              autocomplete="off"
              spellcheck={false}
              aria-describedby="lookup-hint"
              placeholder={
                crm === 'salesforce' ? 'Acme, acme.com, jane@acme.com or 001…' : 'Acme, acme.com or jane@acme.com'
              }
              onInput={(event) => {
                setDraft(event.currentTarget.value);
                setSearching(true);
              }}
            />
          </div>
          <button type="submit" class="primary">
            Look up
          </button>
          <p id="lookup-hint" class="hint wide">
            Matches the start of a company’s name or web domain, or of a contact’s name or email, in any case (as of the
            last sync); an id is matched exactly:{' '}
            {crm === 'salesforce'
              ? 'the Salesforce record Id (18 characters, in the record’s URL). '
              : 'the HubSpot record ID (in the record’s URL, or under “About” on the record). '}
            “Look up” opens the id as typed.
          </p>
        </form>
        {searching ? (
          <RecordMatches installationId={installationId} text={draft} type={draftType} tiers={tiers.data ?? []} />
        ) : null}
      </section>
      {id === '' ? null : tiers.state === 'loading' ? (
        <Loading what="the record" />
      ) : (
        <RecordResult installationId={installationId} type={type} id={id} tiers={tiers.data ?? []} />
      )}
    </div>
  );
}

function RecordResult({
  installationId,
  type,
  id,
  tiers,
}: {
  installationId: string;
  type: RecordType;
  id: string;
  tiers: readonly Tier[];
}) {
  const record = useLoad<RecordResponse>(
    (signal) =>
      api<RecordResponse>(installationPath(installationId, `/records/${type}/${encodeURIComponent(id)}`), { signal }),
    [installationId, type, id],
  );
  if (record.state === 'loading') return <Loading what={`${type} ${id}`} />;
  if (record.state === 'error') {
    if (record.error instanceof ApiError && record.error.status === 404) {
      return (
        <Notice kind="info">
          <p>
            <strong>
              No {type} {id} in this installation.
            </strong>{' '}
            Check the id and the type; a record created since the last sync appears after the next one.
          </p>
        </Notice>
      );
    }
    return <ErrorBox error={record.error} title="The record could not be loaded." onRetry={record.reload} />;
  }
  const { current, history, display } = record.data;
  const known = display?.name ?? display?.domain ?? display?.email ?? null;
  const noun = type === 'company' ? 'Company' : 'Contact';
  const now = Date.now();
  return (
    <section class="card record" aria-labelledby="h-record" data-record={`${type}:${id}`}>
      <h2 id="h-record">
        {known === null ? (
          `${noun} ${id}`
        ) : (
          <>
            {known}{' '}
            <span class="muted">
              · {noun} {id}
            </span>
          </>
        )}
      </h2>
      {current === null ? (
        <p class="empty">This record has no current tier (it was removed or merged); its history is below.</p>
      ) : (
        <>
          <p class="record-tier">
            <TierBadge tiers={tiers} value={current.tier} />{' '}
            <span class="muted">
              since {formatTime(current.since)} ·{' '}
              {current.writtenAt === null
                ? 'not written to the CRM yet'
                : `written to the CRM ${formatAgo(current.writtenAt, now)}`}
            </span>
          </p>
          <h3>Why</h3>
          <ol class="reasons" data-reasons>
            {current.reasons.map((reason, index) => (
              <li key={index}>{reason}</li>
            ))}
          </ol>
          {typeof current.hint === 'string' && current.hint !== '' && (
            <>
              <h3>Next tier</h3>
              <p data-next>{current.hint}</p>
            </>
          )}
        </>
      )}
      <h3>History</h3>
      {history.length === 0 ? (
        <p class="empty">No tier change recorded yet.</p>
      ) : (
        <div class="table-scroll">
          <table data-table="history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Reasons</th>
              </tr>
            </thead>
            <tbody>
              {[...history]
                .sort((a, b) => b.at - a.at)
                .map((entry, index) => (
                  <tr key={`${entry.runId}-${index}`}>
                    <td>{formatTime(entry.at)}</td>
                    <td>
                      {entry.oldTier === null ? (
                        <span class="muted">none</span>
                      ) : (
                        <TierBadge tiers={tiers} value={entry.oldTier} />
                      )}
                    </td>
                    <td>
                      <TierBadge tiers={tiers} value={entry.newTier} />
                    </td>
                    <td>
                      <ul class="reasons">
                        {entry.reasons.map((reason, reasonIndex) => (
                          <li key={reasonIndex}>{reason}</li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
