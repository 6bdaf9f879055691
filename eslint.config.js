// Lint rules only (correctness and the house style). Formatting is left to
// prettier (`npm run format:check`), so no stylistic rule is enabled here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', 'coverage/'] },
  {
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks an intentionally unused binding.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // House style: no TS enums, no default exports.
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'No TS enums: use an `as const` union.' },
        { selector: 'ExportDefaultDeclaration', message: 'No default exports: name the export.' },
      ],
    },
  },
  {
    // The files tsconfig.json covers get the rules that need types.
    files: ['src/**/*.ts', 'tests/**/*.ts', 'vitest.config.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Promises: every one awaited, returned or explicitly voided.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // Types imported as types, in the code base's `import { x, type Y }` form.
      // `typeof import('pkg')` stays allowed: it types a lazily imported optional
      // dependency (testcontainers) without loading it.
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Errors as data are rendered with exhaustive switches.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Library code prints nothing and never exits: the CLI decides both.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only src/cli/ picks the exit code.' }],
    },
  },
  {
    // `failure` is assigned inside a transaction callback, which TypeScript's
    // narrowing does not see, so `if (failure) throw failure` looks like
    // throwing `never`; it throws an Error subclass.
    files: ['src/rls/properties.ts'],
    rules: { '@typescript-eslint/only-throw-error': 'off' },
  },
  {
    // Tools' config files: a default export is what the tool reads.
    files: ['eslint.config.js', 'vitest.config.ts', '**/*.vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
