import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The web application runs in the browser.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', navigator: 'readonly', DOMException: 'readonly', Intl: 'readonly', HTMLElement: 'readonly', HTMLHeadingElement: 'readonly' },
    },
  },
  {
    // A person's data is decrypted in the access pipeline (decide, guard, ledger, then decrypt) and
    // nowhere else: the person store's decrypting methods are off limits outside src/access and
    // the store itself. The files listed below still decrypt on paths of their own, to be moved
    // behind the pipeline; a new call anywhere else fails the build.
    files: ['src/**/*.ts'],
    ignores: [
      'src/access/**',
      'src/store/**',
      'src/bank/service.ts',
      'src/incidents/notices.ts',
      'src/guard/exports/workflow.ts',
      'src/api/me/bank-details.ts',
      'src/guard/simulator/**',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          "CallExpression[callee.property.name=/^(read|open|fetchSealed)$/][callee.object.property.name='persons']",
          "CallExpression[callee.property.name=/^(read|open|fetchSealed)$/][callee.object.name='persons']",
        ].map((selector) => ({ selector, message: 'Person data is read through the access pipeline (src/access), never from the person store directly.' })),
      ],
    },
  },
  {
    // Tests build deliberately malformed input: `any` is the honest type there.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
