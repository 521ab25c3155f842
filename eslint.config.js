// Lint rules. The layer rules (who may import whom) live in eslint.layers.js. The one that matters
// most: the tiering core (src/core) stays pure — it imports only its own modules and zod, never
// node:*, connectors, the store, the server or jobs, and reads no clock.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { layers } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', '.cache/', 'hubspot-project/', 'ui/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
    },
  },
  layers,
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./[^/]+\\.ts$|zod$)',
              message:
                'src/core is pure: it may import only its own modules (./x.ts) and zod — no I/O, no connectors, store, server or jobs.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'src/core is pure: no process access.' },
        { name: 'fetch', message: 'src/core is pure: no I/O.' },
        { name: 'setTimeout', message: 'src/core is pure: no timers.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: 'src/core has no clock: the caller passes `now`.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'src/core has no clock: the caller passes `now`.',
        },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'src/core is deterministic.',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  prettier,
);
