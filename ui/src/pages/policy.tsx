/**
 * The policy editor: the active policy as a form (or JSON), checked by the server as it is edited
 * (each problem next to its field), previewed on the installation's data, applied as a new
 * version. Earlier versions can be loaded and applied again.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import defaultPolicy from '../../../policies/default.json';
import { api, ApiError, errorMessage, installationPath } from '../api.ts';
import { Empty, ErrorBox, Loading, Notice } from '../components/common.tsx';
import { useDebounced, useLoad } from '../hooks.ts';
import { formPaths } from '../lib/form-paths.ts';
import { plural } from '../lib/format.ts';
import { anchorOf, asArray, asObject, getAt, isObject, type Json, type Path, setAt } from '../lib/json.ts';
import { PolicyFormContext, type PolicyForm, type TierOption } from '../policy/context.ts';
import { PolicyFormView } from '../policy/form.tsx';
import { PreviewResult } from '../policy/preview.tsx';
import { JsonEditor, Versions } from './policy-json.tsx';
import type {
  Policy,
  PolicyProblem,
  PolicyResponse,
  PolicyVersionResponse,
  PreviewResponse,
  SavedPolicyResponse,
  ValidateResponse,
} from '../types.ts';

const COMMON_FIELDS = [
  'dealSize',
  'employees',
  'revenue',
  'supportPlan',
  'prefersDigital',
  'leadScore',
  'lifecycleStage',
];

function fieldsOf(draft: Json | undefined, out = new Set<string>()): Set<string> {
  if (Array.isArray(draft)) for (const item of draft as readonly Json[]) fieldsOf(item, out);
  else if (isObject(draft)) {
    for (const [key, value] of Object.entries(draft)) {
      if (key === 'field' && typeof value === 'string' && value !== '') out.add(value);
      else fieldsOf(value, out);
    }
  }
  return out;
}

function tiersOf(draft: Json | undefined): TierOption[] {
  return (asArray(getAt(draft, ['tiers'])) ?? []).flatMap((tier) => {
    const value = asObject(tier)?.['value'];
    const label = asObject(tier)?.['label'];
    if (typeof value !== 'string' || value === '') return [];
    return [{ value, label: typeof label === 'string' && label !== '' ? label : value }];
  });
}

export function PolicyPage({ installationId }: { installationId: string }) {
  const loaded = useLoad<PolicyResponse>(
    (signal) => api<PolicyResponse>(installationPath(installationId, '/policy'), { signal }),
    [installationId],
  );
  if (loaded.state === 'loading') return <Loading what="the policy" />;
  if (loaded.state === 'error')
    return <ErrorBox error={loaded.error} title="The policy could not be loaded." onRetry={loaded.reload} />;
  return (
    <PolicyEditor key={installationId} installationId={installationId} loaded={loaded.data} reload={loaded.reload} />
  );
}

type Mode = 'form' | 'json';

type PreviewState =
  | { readonly state: 'idle' }
  | { readonly state: 'loading'; readonly snapshot: string }
  | {
      readonly state: 'ok';
      readonly snapshot: string;
      readonly result: PreviewResponse;
      readonly policy: Policy;
      readonly run: number;
    }
  | { readonly state: 'error'; readonly snapshot: string; readonly error: unknown };

function PolicyEditor({
  installationId,
  loaded,
  reload,
}: {
  installationId: string;
  loaded: PolicyResponse;
  reload: () => void;
}) {
  const saved: Json = (loaded.active?.policy ?? defaultPolicy) as unknown as Json;
  const [draft, setDraft] = useState<Json | undefined>(saved);
  const [base, setBase] = useState<{ json: string; version: number | null }>({
    json: JSON.stringify(saved),
    version: loaded.active?.version ?? null,
  });
  const [mode, setMode] = useState<Mode>('form');
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  // The server's answer for a snapshot of the draft: its problems.
  const [checked, setChecked] = useState<{ snapshot: string; problems: readonly PolicyProblem[] } | null>(null);
  const [checkFailed, setCheckFailed] = useState(false);
  const [preview, setPreview] = useState<PreviewState>({ state: 'idle' });
  const [applying, setApplying] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error' | 'info'; text: string } | null>(null);
  const previewRuns = useRef(0);

  const snapshot = useMemo(() => JSON.stringify(draft), [draft]);
  const dirty = snapshot !== base.json;

  // The server checks the draft as it is edited (debounced); an older answer never replaces a newer one.
  const settled = useDebounced(snapshot, 300);
  const checkSeq = useRef(0);
  useEffect(() => {
    if (jsonError !== null) return;
    const seq = ++checkSeq.current;
    setCheckFailed(false);
    api<ValidateResponse>(installationPath(installationId, '/policy/validate'), {
      method: 'POST',
      body: JSON.parse(settled) as unknown,
    }).then(
      (answer) => {
        if (seq !== checkSeq.current) return;
        setChecked({ snapshot: settled, problems: answer.problems });
      },
      () => {
        if (seq !== checkSeq.current) return;
        setCheckFailed(true);
      },
    );
  }, [settled, installationId, jsonError]);
  const current = checked?.snapshot === snapshot;
  // Until the new answer arrives, the last problems stay shown.
  const problems = checked?.problems ?? [];

  const known = useMemo(() => formPaths(draft), [draft]);
  const anchored = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const problem of problems) {
      const anchor = anchorOf(problem.path, known);
      const text = anchor === problem.path ? problem.message : `${problem.path}: ${problem.message}`;
      map.set(anchor, [...(map.get(anchor) ?? []), text]);
    }
    return map;
  }, [problems, known]);

  const set = useCallback((path: Path, value: Json | undefined) => {
    setDraft((old) => setAt(old, path, value));
  }, []);
  const update = useCallback((change: (old: Json | undefined) => Json | undefined) => {
    setDraft(change);
  }, []);
  const form: PolicyForm = useMemo(
    () => ({
      draft,
      set,
      update,
      problemsAt: (path: string) => (mode === 'form' ? (anchored.get(path) ?? []) : []),
      tiers: tiersOf(draft),
      fields: [...new Set([...fieldsOf(draft), ...COMMON_FIELDS])],
    }),
    [draft, set, update, anchored, mode],
  );

  const switchMode = (to: Mode): void => {
    if (to === mode) return;
    if (to === 'json') {
      setJsonText(JSON.stringify(draft, null, 2));
      setJsonError(null);
      setMode('json');
      return;
    }
    if (jsonError !== null) {
      setMessage({ kind: 'error', text: 'Fix the JSON first: the form can only show a policy that parses.' });
      return;
    }
    setMode('form');
  };

  const runPreview = async (): Promise<void> => {
    const body = JSON.parse(snapshot) as unknown;
    setPreview({ state: 'loading', snapshot });
    setMessage(null);
    try {
      const result = await api<PreviewResponse>(installationPath(installationId, '/preview'), { method: 'POST', body });
      previewRuns.current++;
      setPreview({ state: 'ok', snapshot, result, policy: body as Policy, run: previewRuns.current });
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) setChecked({ snapshot, problems: error.problems });
      setPreview({ state: 'error', snapshot, error });
    }
  };

  const apply = async (): Promise<void> => {
    setApplying(true);
    setMessage(null);
    try {
      const savedVersion = await api<SavedPolicyResponse>(installationPath(installationId, '/policy'), {
        method: 'PUT',
        body: JSON.parse(snapshot) as unknown,
      });
      setBase({ json: snapshot, version: savedVersion.version });
      setMessage({
        kind: 'success',
        text: `Saved as version ${savedVersion.version}, now active. A sync was queued to apply it.`,
      });
      reload();
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) {
        setChecked({ snapshot, problems: error.problems });
        setMessage({ kind: 'error', text: `Not saved: ${plural(error.problems.length, 'problem')} to fix first.` });
      } else setMessage({ kind: 'error', text: `Not saved: ${errorMessage(error)}` });
    } finally {
      setApplying(false);
    }
  };

  const loadVersion = async (version: number): Promise<void> => {
    setMessage(null);
    try {
      const found = await api<PolicyVersionResponse>(installationPath(installationId, `/policy/versions/${version}`));
      const policy = found.policy as unknown as Json;
      setDraft(policy);
      if (mode === 'json') setJsonText(JSON.stringify(policy, null, 2));
      setJsonError(null);
      setMessage({
        kind: 'info',
        text: `Version ${version} is in the editor. Preview it, then apply it to make it active again (as a new version).`,
      });
    } catch (error) {
      setMessage({ kind: 'error', text: `Version ${version} could not be loaded: ${errorMessage(error)}` });
    }
  };

  const discard = (): void => {
    const restored = JSON.parse(base.json) as Json;
    setDraft(restored);
    if (mode === 'json') setJsonText(JSON.stringify(restored, null, 2));
    setJsonError(null);
    setMessage(null);
  };

  const valid = problems.length === 0;
  const previewStale = preview.state !== 'idle' && preview.snapshot !== snapshot;
  const blocked = jsonError !== null;

  return (
    <PolicyFormContext.Provider value={form}>
      <div class="policy-page">
        <div class="toolbar card" role="region" aria-label="Policy actions">
          <div class="toolbar-status">
            <p>
              {base.version === null ? (
                <span>No policy saved yet: the editor starts from the default policy.</span>
              ) : (
                <span>
                  Editing from version <strong>{base.version}</strong>
                  {dirty ? <span class="badge warn">unsaved changes</span> : <span class="badge good">active</span>}
                </span>
              )}
            </p>
            <p
              role="status"
              class="check-status"
              data-check={blocked ? 'json' : !current ? 'checking' : valid ? 'valid' : 'invalid'}
            >
              {blocked
                ? 'The JSON does not parse.'
                : checkFailed
                  ? 'The server could not check the policy.'
                  : !current
                    ? 'Checking…'
                    : valid
                      ? '✓ The policy is valid.'
                      : `${plural(problems.length, 'problem')} — ${mode === 'form' ? 'shown next to the fields' : 'listed under the JSON'}.`}
            </p>
          </div>
          <div class="buttons">
            <div class="segmented" role="group" aria-label="Edit as">
              <button
                type="button"
                aria-pressed={mode === 'form'}
                onClick={() => {
                  switchMode('form');
                }}
              >
                Form
              </button>
              <button
                type="button"
                aria-pressed={mode === 'json'}
                onClick={() => {
                  switchMode('json');
                }}
              >
                JSON
              </button>
            </div>
            <button type="button" class="secondary" onClick={discard} disabled={!dirty}>
              Discard changes
            </button>
            <button type="button" onClick={() => void runPreview()} disabled={blocked || preview.state === 'loading'}>
              {preview.state === 'loading' ? 'Previewing…' : 'Preview'}
            </button>
            <button
              type="button"
              class="primary"
              onClick={() => void apply()}
              disabled={blocked || applying || !current || !valid || (!dirty && base.version !== null)}
              title={
                !valid ? 'Fix the problems first' : !dirty && base.version !== null ? 'Nothing changed' : undefined
              }
            >
              {applying ? 'Applying…' : 'Apply as a new version'}
            </button>
          </div>
        </div>
        {message === null ? null : (
          <Notice kind={message.kind}>
            <p>{message.text}</p>
          </Notice>
        )}
        <div class="policy-grid">
          <div class="policy-editor">
            {mode === 'form' ? (
              <PolicyFormView />
            ) : (
              <JsonEditor
                text={jsonText}
                error={jsonError}
                problems={problems}
                onInput={(text) => {
                  setJsonText(text);
                  try {
                    const parsed = JSON.parse(text) as Json;
                    setJsonError(null);
                    setDraft(parsed);
                  } catch (error) {
                    setJsonError(errorMessage(error));
                  }
                }}
              />
            )}
            <Versions loaded={loaded} onLoad={(version) => void loadVersion(version)} />
          </div>
          <aside class="preview-panel card" aria-labelledby="h-preview">
            <h2 id="h-preview">Preview</h2>
            {preview.state === 'idle' ? (
              <Empty>
                Preview runs this policy on the installation’s synced records, writing nothing: who would move, why, and
                what applying would cost.
              </Empty>
            ) : preview.state === 'loading' ? (
              <Loading what="the preview" />
            ) : preview.state === 'error' ? (
              <ErrorBox
                error={preview.error}
                title={
                  preview.error instanceof ApiError && preview.error.problems.length > 0
                    ? 'The policy has problems (shown next to the fields).'
                    : 'The preview failed.'
                }
              />
            ) : (
              <>
                {previewStale ? (
                  <Notice kind="warning">
                    <p>The policy changed since this preview. Preview again to see the effect of the edits.</p>
                  </Notice>
                ) : null}
                <PreviewResult key={preview.run} result={preview.result} policy={preview.policy} />
              </>
            )}
          </aside>
        </div>
      </div>
    </PolicyFormContext.Provider>
  );
}
