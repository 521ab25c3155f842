/** The policy page's side parts: the policy as JSON (edited beside the form) and its saved versions. */
import { Empty } from '../components/common.tsx';
import { formatTime } from '../lib/format.ts';
import type { PolicyProblem, PolicyResponse } from '../types.ts';

export function JsonEditor({
  text,
  error,
  problems,
  onInput,
}: {
  text: string;
  error: string | null;
  problems: readonly PolicyProblem[];
  onInput: (text: string) => void;
}) {
  return (
    <section class="card" aria-labelledby="h-json">
      <h2 id="h-json">Policy JSON</h2>
      <label for="policy-json" class="hint">
        The policy as the API takes it. Edits here show in the form too.
      </label>
      <textarea
        id="policy-json"
        class="json"
        spellcheck={false}
        rows={30}
        value={text}
        aria-invalid={error !== null || problems.length > 0 ? 'true' : undefined}
        aria-describedby="policy-json-problems"
        onInput={(event) => {
          onInput(event.currentTarget.value);
        }}
      />
      <div id="policy-json-problems">
        {error === null ? null : <p class="problems">JSON syntax: {error}</p>}
        {error === null && problems.length > 0 ? (
          <ul class="problems">
            {problems.map((problem, index) => (
              <li key={index}>
                <code>{problem.path}</code>: {problem.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </section>
  );
}

export function Versions({ loaded, onLoad }: { loaded: PolicyResponse; onLoad: (version: number) => void }) {
  const versions = [...loaded.versions].sort((a, b) => b.version - a.version);
  return (
    <section class="card" aria-labelledby="h-versions">
      <h2 id="h-versions">Versions</h2>
      {versions.length === 0 ? (
        <Empty>No version saved yet.</Empty>
      ) : (
        <table class="compact" data-table="versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.version} data-version={version.version}>
                <th scope="row">
                  {version.version}
                  {version.version === loaded.active?.version ? <span class="badge good">active</span> : null}
                </th>
                <td>{formatTime(version.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      onLoad(version.version);
                    }}
                  >
                    Load into the editor
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
