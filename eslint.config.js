// Type-aware lint: typescript-eslint's strict and stylistic type-checked rules
// for the TypeScript; the recommended rules for the pages' browser scripts.
// Formatting is prettier's (.prettierrc.json). `npm run lint` runs both at
// zero warnings, and `npm test` runs it first.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const browserGlobals = Object.fromEntries(
  [
    'window',
    'document',
    'location',
    'localStorage',
    'sessionStorage',
    'fetch',
    'EventSource',
    'URL',
    'URLSearchParams',
    'AbortController',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'requestAnimationFrame',
    'navigator',
    'history',
    'Chart',
    'Terminal',
    'FitAddon',
    'TextDecoder',
    'TextDecoderStream',
    'TextEncoder',
    'Intl',
    'crypto',
    'marked',
    'DOMPurify',
    'Node',
    'HTMLElement',
    'Event',
    'CustomEvent',
    'matchMedia',
    'ResizeObserver',
    'DOMParser',
    'alert',
    'confirm',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', 'client/dist/', 'client/src/generated/', 'node_modules/', 'coverage/', 'test-artifacts/', '.data/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // TypeScript itself reports undefined names, with types in view.
      'no-undef': 'off',
      // The stream protocol strips control characters on purpose (docs/agent-protocol.md).
      'no-control-regex': 'off',
      // `_`-named bindings are the ones left unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Nest modules are empty classes that carry a decorator.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      // An empty string means "not given" in our inputs, so `||` is meant where it is used on strings.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // DTO classes describe plain JSON shapes for Swagger and validation; handlers build plain objects of those shapes.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Same reason: a DTO "instance" is a plain object, so spreading one loses no prototype.
      '@typescript-eslint/no-misused-spread': 'off',
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      // Response bodies (supertest) and SSE payloads are `any` by design; the assertions are what check them.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // In a test a missing value fails the test, which is what a `!` says.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Teardown guards (`await t?.app.close()`) are for a beforeAll that failed before assigning `let t: T`.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['src/web/assets/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: browserGlobals },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ignores: ['src/web/assets/**'],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'Buffer',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'URL',
          'fetch',
          'TextDecoder',
          'TextEncoder',
          'performance',
          'structuredClone',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
