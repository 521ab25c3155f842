// Who may import whom: the layers of RightTouch, enforced with eslint-plugin-boundaries
// (https://www.jsboundaries.dev/docs/overview/). The README's "Architecture" section shows the same
// table; keep the two in step. Tests, benchmarks, scripts and bin/ are outside the layers: they may
// import anything. Inside a layer, files import each other freely.
import boundaries from 'eslint-plugin-boundaries';

/** Layers, most specific pattern first (the first match classifies a file). */
const ELEMENTS = [
  { type: 'core', pattern: 'src/core' },
  { type: 'mapping', pattern: 'src/mapping' },
  { type: 'store', pattern: 'src/store' },
  { type: 'sync', pattern: 'src/sync' },
  { type: 'connectors', pattern: 'connectors' },
  { type: 'app', pattern: 'src/app' },
  { type: 'jobs', pattern: 'src/jobs' },
  { type: 'server', pattern: 'src/server' },
  { type: 'cli', pattern: 'src/cli' },
  { type: 'sandbox', pattern: 'sandbox' },
  { type: 'ui', pattern: 'ui/src' },
];

/** layer → the layers whose values it may import (types: see TYPES_ONLY). */
export const MAY_IMPORT = {
  core: [],
  mapping: ['core'],
  store: ['core', 'mapping'],
  sync: ['core', 'mapping', 'store'],
  connectors: ['core', 'mapping', 'store', 'sync'],
  app: ['core', 'mapping', 'store', 'sync', 'connectors'],
  jobs: ['core', 'mapping', 'store', 'sync', 'connectors', 'app'],
  server: ['core', 'mapping', 'store', 'sync', 'connectors', 'app', 'jobs'],
  cli: ['core', 'mapping', 'store', 'sync', 'connectors', 'app', 'jobs', 'server'],
  sandbox: [],
  ui: ['core'],
};

/** layer → the layers it may import types from, and nothing else (`import type`). */
export const TYPES_ONLY = {
  sandbox: ['core', 'mapping', 'store', 'sync', 'connectors'],
  ui: ['server'],
};

/** `npm start`'s command is the one product module that may start the sandbox CRMs. */
const STARTS_SANDBOXES = 'src/cli/start-command.ts';

const policies = [
  {
    from: { file: { categories: 'starts-sandboxes' } },
    allow: { to: { element: { type: 'sandbox' } } },
  },
  ...Object.entries(MAY_IMPORT)
    .filter(([, to]) => to.length > 0)
    .map(([from, to]) => ({
      from: { element: { type: from } },
      allow: { to: { element: { types: { anyOf: to } } } },
    })),
  ...Object.entries(TYPES_ONLY).map(([from, to]) => ({
    from: { element: { type: from } },
    allow: { to: { element: { types: { anyOf: to } } }, dependency: { kind: 'type' } },
  })),
];

export const layers = {
  files: ['src/**/*.ts', 'connectors/**/*.ts', 'sandbox/**/*.ts', 'ui/src/**/*.{ts,tsx}'],
  plugins: { boundaries },
  settings: {
    'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } },
    'boundaries/include': ['src/**/*', 'connectors/**/*', 'sandbox/**/*', 'ui/src/**/*'],
    'boundaries/elements': ELEMENTS,
    'boundaries/files': [{ category: 'starts-sandboxes', pattern: STARTS_SANDBOXES }],
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        message:
          'Layer rule: {{from.type}} may not import {{to.type}} (see eslint.layers.js and the README, "Architecture").',
        policies,
      },
    ],
  },
};
