/**
 * RightTouch's admin UI: the shell (API key, installation picker, navigation) and the pages —
 * Overview, Policy, Records, Connections — on hash routes.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, onUnauthorized } from './api.ts';
import { clearKey, getKey, setKey, takeKeyFromFragment } from './auth.ts';
import { crmName, ErrorBox, Loading } from './components/common.tsx';
import { href, type Page, useLoad, useRoute } from './hooks.ts';
import { ConnectionsPage } from './pages/connections.tsx';
import { Overview } from './pages/overview.tsx';
import { PolicyPage } from './pages/policy.tsx';
import { RecordsPage } from './pages/records.tsx';
import './styles.css';
import type { InstallationsResponse, InstallationWithRun } from './types.ts';

const TITLES: Record<Page, string> = {
  overview: 'Overview',
  policy: 'Policy',
  records: 'Record lookup',
  connections: 'Connections',
};

const SELECTED_KEY = 'righttouch.installation';

function App() {
  const [key, setKeyState] = useState<string | null>(() => {
    takeKeyFromFragment();
    return getKey();
  });
  const [refused, setRefused] = useState<string | null>(null);
  useEffect(
    () =>
      onUnauthorized((message) => {
        clearKey();
        setKeyState(null);
        setRefused(message);
      }),
    [],
  );
  if (key === null) {
    return (
      <KeyForm
        refused={refused}
        onKey={(accepted) => {
          setKey(accepted);
          setRefused(null);
          setKeyState(accepted);
        }}
      />
    );
  }
  return (
    <Shell
      onSignOut={() => {
        clearKey();
        setKeyState(null);
        setRefused(null);
      }}
    />
  );
}

function KeyForm({ refused, onKey }: { refused: string | null; onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(refused);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, []);
  return (
    <main class="key-page" id="main">
      <div class="card key-card">
        <h1>RightTouch</h1>
        <p>Decides each customer’s engagement model and keeps it current in your CRM.</p>
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            const candidate = value.trim();
            if (candidate === '') {
              setError('Paste your API key first.');
              return;
            }
            setChecking(true);
            api<InstallationsResponse>('/api/installations', { key: candidate }).then(
              () => {
                setChecking(false);
                onKey(candidate);
              },
              (failure: unknown) => {
                setChecking(false);
                setError(
                  failure instanceof ApiError && failure.status === 401
                    ? 'This API key is not valid.'
                    : errorMessage(failure),
                );
              },
            );
          }}
        >
          <div class={`field${error === null ? '' : ' invalid'}`}>
            <label for="api-key">Paste your API key</label>
            <input
              ref={input}
              id="api-key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              value={value}
              aria-invalid={error === null ? undefined : 'true'}
              aria-describedby={`api-key-hint${error === null ? '' : ' api-key-error'}`}
              onInput={(event) => {
                setValue(event.currentTarget.value);
              }}
            />
            <p class="hint" id="api-key-hint">
              The key shown when RightTouch was installed, or one from <code>npx righttouch api-key</code>. It is kept
              in this browser tab only, and sent to this server only.
            </p>
            {error === null ? null : (
              <ul class="problems" id="api-key-error" role="alert">
                <li>{error}</li>
              </ul>
            )}
          </div>
          <button type="submit" class="primary" disabled={checking}>
            {checking ? 'Checking…' : 'Continue'}
          </button>
        </form>
      </div>
    </main>
  );
}

function readSelected(): string | null {
  try {
    return window.sessionStorage.getItem(SELECTED_KEY);
  } catch {
    return null;
  }
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const [selectedId, setSelectedId] = useState<string | null>(readSelected);
  const installations = useLoad<readonly InstallationWithRun[]>(
    async (signal) => (await api<InstallationsResponse>('/api/installations', { signal })).installations,
    [],
  );
  const list = installations.data ?? [];
  const selected = list.find((installation) => installation.id === selectedId) ?? list[0];
  const heading = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  useEffect(() => {
    document.title = `${TITLES[route.page]} · RightTouch`;
    // Moving between pages puts focus on the new page's heading (for keyboards and screen readers).
    if (firstRender.current) firstRender.current = false;
    else heading.current?.focus();
  }, [route.page]);
  const choose = (id: string): void => {
    setSelectedId(id);
    try {
      window.sessionStorage.setItem(SELECTED_KEY, id);
    } catch {
      // Kept for this page only.
    }
  };
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          heading.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◐
          </span>{' '}
          RightTouch
        </div>
        <nav aria-label="Main">
          <ul>
            {(Object.keys(TITLES) as Page[]).map((page) => (
              <li key={page}>
                <a href={href(page)} aria-current={route.page === page ? 'page' : undefined}>
                  {TITLES[page]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="top-right">
          {list.length > 1 ? (
            <div class="picker">
              <label for="installation">Installation</label>
              <select
                id="installation"
                value={selected?.id}
                onChange={(event) => {
                  choose(event.currentTarget.value);
                }}
              >
                {list.map((installation) => (
                  <option key={installation.id} value={installation.id}>
                    {crmName(installation.crm)} · {installation.name ?? installation.externalId}
                    {installation.status === 'active' ? '' : ` (${installation.status.replace('_', ' ')})`}
                  </option>
                ))}
              </select>
            </div>
          ) : selected === undefined ? null : (
            <span class="current-installation">
              {crmName(selected.crm)} · {selected.name ?? selected.externalId}
            </span>
          )}
          <button type="button" class="link" onClick={onSignOut}>
            Forget API key
          </button>
        </div>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {TITLES[route.page]}
        </h1>
        {installations.state === 'loading' ? (
          <Loading what="installations" />
        ) : installations.state === 'error' ? (
          <ErrorBox
            error={installations.error}
            title="Installations could not be loaded."
            onRetry={installations.reload}
          />
        ) : route.page === 'connections' ? (
          <ConnectionsPage installations={list} selected={selected} onChanged={installations.reload} />
        ) : selected === undefined ? (
          <div class="card">
            <p class="empty">
              RightTouch is not installed on any CRM yet.{' '}
              <a href={href('connections')}>Install it on HubSpot or Salesforce</a>.
            </p>
          </div>
        ) : route.page === 'overview' ? (
          <Overview key={selected.id} installationId={selected.id} />
        ) : route.page === 'policy' ? (
          <PolicyPage key={selected.id} installationId={selected.id} />
        ) : (
          <RecordsPage key={selected.id} installationId={selected.id} crm={selected.crm} params={route.params} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.replaceChildren();
  render(<App />, root);
}
