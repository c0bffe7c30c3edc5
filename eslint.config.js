/**
 * Code lint, run by `npm run lint:code` (part of `npm test`). The layering rules are a separate
 * check (`npm run lint`, .dependency-cruiser.cjs); this one looks at the code itself.
 *
 * Every linted file is type-checked: typescript-eslint's project service finds each file's nearest
 * tsconfig.json, so renderer/ uses renderer/tsconfig.json (DOM, JSX) and everything else the root
 * tsconfig.json (node). The two JavaScript config files at the root, which no tsconfig includes,
 * get the project service's default project.
 */
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'dist/',
    'release/',
    '.electron-native/',
    '.tmp/',
    'test-results/',
    'playwright-report/',
    'test/bench/results/',
  ]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,

  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js', '.dependency-cruiser.cjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // A switch over a union must name every member: a `default:` does not count, so adding a
      // member (a frame type, an event kind, an app API method) breaks the build where it is not
      // handled. A switch over a plain string or number needs no default.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        {
          considerDefaultExhaustiveForUnions: false,
          requireDefaultForNonUnion: false,
          allowDefaultCaseForExhaustiveSwitch: true,
        },
      ],
      // A promise nobody awaits loses its rejection. Fire-and-forget is spelled `void promise`
      // (with the reason beside it) or handled with `.catch(...)`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: Promise-returning interfaces (app API, server store, fakes) are implemented synchronously on purpose; `async` keeps a throw a rejection.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed names are deliberately unused (placeholders in destructuring and signatures).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },

  // SQLite re-prepares a statement with a bare `LIMIT ?` at every run (sync/node/sqlite.ts).
  {
    files: ['sync/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/LIMIT \\?/], TemplateElement[value.raw=/LIMIT \\?/]',
          message:
            'Write a bound row count as ${BOUND_LIMIT} (sync/node/sqlite.ts): a bare LIMIT ? re-prepares the statement at every run.',
        },
      ],
    },
  },

  // Node side: hosts, sync, scripts, tests.
  {
    files: ['**/*.{ts,js,cjs,mjs}'],
    ignores: ['renderer/**'],
    languageOptions: { globals: { ...globals.node } },
  },

  // The renderer runs in a sandboxed browser page.
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },

  // React hooks rules wherever components and hooks live.
  {
    files: ['renderer/**/*.{ts,tsx}', 'test/unit/renderer/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
  },

  // CommonJS config files (dependency-cruiser reads `module.exports`).
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
