/**
 * Connections: install RightTouch on HubSpot or Salesforce, each installation's status (reconnect
 * when the CRM revoked access), the installation's schedule, notification webhook and what setup
 * may do beyond the fields (lists per tier, Salesforce layouts), and links to its lists per tier.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, installationPath } from '../api.ts';
import { crmName, Empty, ErrorBox, InstallationStatusBadge, Loading, Notice } from '../components/common.tsx';
import { useLoad } from '../hooks.ts';
import { formatAgo, formatTime } from '../lib/format.ts';
import type { InstallationWithRun, PolicyProblem, UiConfig } from '../types.ts';
import { CrmListsCard } from './crm-lists.tsx';

export function ConnectionsPage({
  installations,
  selected,
  onChanged,
}: {
  installations: readonly InstallationWithRun[];
  selected: InstallationWithRun | undefined;
  onChanged: () => void;
}) {
  const config = useLoad<UiConfig>(async (signal) => {
    const response = await fetch('/ui-config.json', { signal });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    return (await response.json()) as UiConfig;
  }, []);
  const now = Date.now();
  return (
    <div class="connections-page">
      <section class="card" aria-labelledby="h-install">
        <h2 id="h-install">Install RightTouch</h2>
        <p class="hint">
          Installing asks the CRM for access, creates the engagement-model fields, and runs a first full sync.
          Installing again on a connected account reconnects it.
        </p>
        {config.state === 'loading' ? (
          <Loading what="the CRM apps" />
        ) : config.state === 'error' ? (
          <ErrorBox error={config.error} title="The server's CRM apps could not be read." onRetry={config.reload} />
        ) : (
          <div class="install-buttons">
            <InstallButton crm="hubspot" app={config.data.hubspot} variable="HUBSPOT_CLIENT_ID" />
            <InstallButton crm="salesforce" app={config.data.salesforce} variable="SF_CLIENT_ID" />
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="h-installations">
        <h2 id="h-installations">Installations</h2>
        {installations.length === 0 ? (
          <Empty>None yet: install RightTouch on a CRM above.</Empty>
        ) : (
          <div class="table-scroll">
            <table data-table="installations">
              <thead>
                <tr>
                  <th scope="col">CRM</th>
                  <th scope="col">Account</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Installed</th>
                </tr>
              </thead>
              <tbody>
                {installations.map((installation) => (
                  <tr key={installation.id} data-installation={installation.id}>
                    <td>{crmName(installation.crm)}</td>
                    <td>
                      {installation.name ?? installation.externalId}
                      {installation.name === null ? null : <span class="muted"> · {installation.externalId}</span>}
                    </td>
                    <td>
                      <InstallationStatusBadge status={installation.status} />
                      {installation.status !== 'active' ? (
                        <>
                          {installation.statusDetail === null ? null : (
                            <span class="muted detail"> {installation.statusDetail}</span>
                          )}{' '}
                          <a href={`/oauth/${installation.crm}/install`}>Reconnect</a>
                        </>
                      ) : null}
                    </td>
                    <td>
                      {installation.lastRun === null
                        ? 'never'
                        : `${installation.lastRun.status}, ${formatAgo(installation.lastRun.startedAt, now)}`}
                    </td>
                    <td>{formatTime(installation.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {selected === undefined ? null : <CrmListsCard installation={selected} />}
      {selected === undefined ? null : <SettingsForm key={selected.id} installation={selected} onSaved={onChanged} />}
    </div>
  );
}

function InstallButton({
  crm,
  app,
  variable,
}: {
  crm: 'hubspot' | 'salesforce';
  app: UiConfig['hubspot'];
  variable: string;
}) {
  const name = crmName(crm);
  if (!app.configured) {
    return (
      <div class="install unavailable">
        <span class="button disabled" aria-disabled="true">
          Install on {name}
        </span>
        <p class="hint">
          Not available: this server has no {name} app configured (<code>{variable}</code> is not set).
        </p>
      </div>
    );
  }
  return (
    <div class="install">
      <a class="button primary" href={app.installUrl}>
        Install on {name}
      </a>
    </div>
  );
}

function SettingsForm({ installation, onSaved }: { installation: InstallationWithRun; onSaved: () => void }) {
  const [every, setEvery] = useState(String(installation.settings.syncEveryMinutes ?? ''));
  const [notifyUrl, setNotifyUrl] = useState(installation.settings.notifyUrl ?? '');
  const [lists, setLists] = useState(installation.settings.crmLists !== false);
  const [layouts, setLayouts] = useState(installation.settings.crmLayouts !== false);
  const [saving, setSaving] = useState(false);
  const [problems, setProblems] = useState<readonly PolicyProblem[]>([]);
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  useEffect(() => {
    setEvery(String(installation.settings.syncEveryMinutes ?? ''));
    setNotifyUrl(installation.settings.notifyUrl ?? '');
    setLists(installation.settings.crmLists !== false);
    setLayouts(installation.settings.crmLayouts !== false);
  }, [
    installation.settings.syncEveryMinutes,
    installation.settings.notifyUrl,
    installation.settings.crmLists,
    installation.settings.crmLayouts,
  ]);
  const problemFor = (path: string): string | undefined =>
    problems
      .filter((problem) => problem.path === path)
      .map((problem) => problem.message)
      .join('; ') || undefined;
  const everyProblem = problemFor('syncEveryMinutes');
  const urlProblem = problemFor('notifyUrl');
  const other = problems.filter((problem) => problem.path !== 'syncEveryMinutes' && problem.path !== 'notifyUrl');
  const save = async (): Promise<void> => {
    setSaving(true);
    setResult(null);
    const body: Record<string, unknown> = {};
    if (every.trim() !== '')
      body['syncEveryMinutes'] = /^\d+$/.test(every.trim()) ? Number(every.trim()) : every.trim();
    if (notifyUrl.trim() !== '') body['notifyUrl'] = notifyUrl.trim();
    body['crmLists'] = lists;
    if (installation.crm === 'salesforce') body['crmLayouts'] = layouts;
    try {
      await api(installationPath(installation.id, '/settings'), { method: 'PUT', body });
      setProblems([]);
      setResult({ kind: 'success', text: 'Settings saved.' });
      onSaved();
    } catch (error) {
      setProblems(error instanceof ApiError ? error.problems : []);
      setResult({ kind: 'error', text: `Not saved: ${errorMessage(error)}` });
    } finally {
      setSaving(false);
    }
  };
  return (
    <section class="card" aria-labelledby="h-settings">
      <h2 id="h-settings">
        Settings for {crmName(installation.crm)} {installation.name ?? installation.externalId}
      </h2>
      <form
        class="settings"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <div class={`field${everyProblem === undefined ? '' : ' invalid'}`}>
          <label for="sync-every">Sync every (minutes)</label>
          <input
            id="sync-every"
            type="text"
            inputMode="numeric"
            class="number"
            value={every}
            placeholder="15"
            aria-invalid={everyProblem === undefined ? undefined : 'true'}
            aria-describedby={`sync-every-hint${everyProblem === undefined ? '' : ' sync-every-problem'}`}
            onInput={(event) => {
              setEvery(event.currentTarget.value);
            }}
          />
          <p class="hint" id="sync-every-hint">
            Between incremental syncs, 1 to 1,440 (empty: every 15 minutes). A full sync runs nightly, and CRM changes
            arrive by webhook in between.
          </p>
          {everyProblem === undefined ? null : (
            <ul class="problems" id="sync-every-problem">
              <li>{everyProblem}</li>
            </ul>
          )}
        </div>
        <div class={`field${urlProblem === undefined ? '' : ' invalid'}`}>
          <label for="notify-url">Notification webhook</label>
          <input
            id="notify-url"
            type="url"
            value={notifyUrl}
            placeholder="https://hooks.slack.com/services/…"
            autocomplete="off"
            aria-invalid={urlProblem === undefined ? undefined : 'true'}
            aria-describedby={`notify-url-hint${urlProblem === undefined ? '' : ' notify-url-problem'}`}
            onInput={(event) => {
              setNotifyUrl(event.currentTarget.value);
            }}
          />
          <p class="hint" id="notify-url-hint">
            Tier changes are posted here after each sync (a Slack incoming webhook works). Empty: no notifications.
          </p>
          {urlProblem === undefined ? null : (
            <ul class="problems" id="notify-url-problem">
              <li>{urlProblem}</li>
            </ul>
          )}
        </div>
        <div class="field checkbox">
          <input
            id="crm-lists"
            type="checkbox"
            checked={lists}
            aria-describedby="crm-lists-hint"
            onChange={(event) => {
              setLists(event.currentTarget.checked);
            }}
          />
          <label for="crm-lists">Keep a list per tier in {crmName(installation.crm)}</label>
          <p class="hint" id="crm-lists-hint">
            {installation.crm === 'hubspot' ? 'Active lists' : 'List views'} of the records in each engagement model,
            for marketers. Turned off, the lists are left as they are (not deleted) and no longer kept up to date.
          </p>
        </div>
        {installation.crm !== 'salesforce' ? null : (
          <div class="field checkbox">
            <input
              id="crm-layouts"
              type="checkbox"
              checked={layouts}
              aria-describedby="crm-layouts-hint"
              onChange={(event) => {
                setLayouts(event.currentTarget.checked);
              }}
            />
            <label for="crm-layouts">Put the engagement-model fields on the page layouts</label>
            <p class="hint" id="crm-layouts-hint">
              Setup adds the fields to the page layouts and the tier to the compact layouts.
            </p>
          </div>
        )}
        {other.length === 0 ? null : (
          <ul class="problems">
            {other.map((problem, index) => (
              <li key={index}>
                {problem.path}: {problem.message}
              </li>
            ))}
          </ul>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
        </div>
        {result === null ? null : (
          <Notice kind={result.kind}>
            <p>{result.text}</p>
          </Notice>
        )}
      </form>
    </section>
  );
}
