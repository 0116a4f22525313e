import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', '.trouw/**', 'kiosk/renderer/vendor/**', 'scratch/**', 'test-results/**', '.tmp-*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The pure core has no clock and no I/O (DESIGN.md §2).
    files: ['gateway/core/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'core takes `now` as an argument' }],
      'no-restricted-imports': ['error', { patterns: ['node:fs', 'node:net', 'better-sqlite3', 'serialport', 'mqtt', 'pino', 'fastify'] }],
    },
  },
  {
    // The application layer is driven by the CLI, never the other way round.
    files: ['gateway/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/cli/**', '**/cli'], message: 'gateway/app never imports gateway/cli: move what both need into app/ or config/' }] },
      ],
    },
  },
  {
    // sync/ (envelope, schemas, publisher, HQ) stands on its own: the gateway app imports it, not the reverse.
    files: ['sync/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/gateway/app/**', '**/gateway/app'], message: 'sync/ never imports gateway/app: the dependency goes app → sync' }] },
      ],
    },
  },
);
