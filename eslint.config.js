import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** The clients of the whole server: the routes, the command line, the composition root, the simulator. */
const UPWARD = [
  {
    group: ['**/api/*', '**/api/**'],
    message: 'A capability answers its clients; it never imports the HTTP routes (src/api).',
  },
  { group: ['**/cli/*', '**/cli/**'], message: 'A capability never imports the command line (src/cli).' },
  {
    group: ['**/runtime/*', '**/runtime/**'],
    message: 'The composition root (src/runtime) builds the capabilities; they never import it.',
  },
  {
    group: ['**/simulate/*', '**/simulate/**'],
    message: 'The simulator is a client of the whole server (src/simulate); nothing in it is imported by a capability.',
  },
];

const CAPABILITIES = 'identity|policy|guard|bank|incidents|privacy|updates|registration|mandates';

/** Any import of a capability, or of the access pipeline built on them. */
const CAPABILITIES_AND_ACCESS = {
  regex: `^(\\.\\./)+(${CAPABILITIES}|access)(/|$)`,
  message:
    'The core (domain, crypto, store, ledger, notify, jobs) serves the capabilities and the access pipeline; it never imports them.',
};

/** Another capability's module other than its index.ts. */
const DEEP_INTO_A_CAPABILITY = {
  regex: `^(\\.\\./)+(${CAPABILITIES})/(?!index\\.ts$)`,
  message:
    'A capability is asked through its index.ts (its small typed interface), never through one of its modules: export what is needed there.',
};

const ACCESS = {
  regex: '^(\\.\\./)+access(/|$)',
  message: 'The access pipeline (src/access) is built on the capabilities; a capability never imports it.',
};

const SEED = {
  regex: '^(\\.\\./)+seed(/|$)',
  message:
    'The synthetic network and population (src/seed) are for the command line, the simulator and the tests; production code never imports them.',
};

const restrictImports = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Layout is Prettier's (`npm run format`); ESLint keeps to what the code means.
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
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
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        navigator: 'readonly',
        DOMException: 'readonly',
        Intl: 'readonly',
        HTMLElement: 'readonly',
        HTMLHeadingElement: 'readonly',
      },
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
      'src/simulate/**',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          "CallExpression[callee.property.name=/^(read|open|fetchSealed)$/][callee.object.property.name='persons']",
          "CallExpression[callee.property.name=/^(read|open|fetchSealed)$/][callee.object.name='persons']",
        ].map((selector) => ({
          selector,
          message:
            'Person data is read through the access pipeline (src/access), never from the person store directly.',
        })),
      ],
    },
  },
  {
    // Dependencies point one way (DESIGN.md §6): the capabilities and the core never reach up to
    // the routes, the command line, the composition root or the simulator, which are their clients.
    files: [
      'src/{domain,crypto,store,ledger,notify,jobs,identity,policy,guard,access,bank,incidents,privacy,updates,registration,mandates,seed}/**/*.ts',
    ],
    rules: restrictImports(...UPWARD),
  },
  // The blocks below repeat UPWARD: for a file several blocks match, the last one's options of a rule win.
  {
    // The domain is the innermost ring: types and pure rules, importing nothing else of the server.
    files: ['src/domain/**/*.ts'],
    rules: restrictImports(...UPWARD, {
      regex: '^\\.\\./',
      message: 'The domain (types and pure rules) imports nothing of the server outside itself.',
    }),
  },
  {
    files: ['src/{crypto,store,ledger,notify,jobs}/**/*.ts'],
    rules: restrictImports(...UPWARD, CAPABILITIES_AND_ACCESS, SEED),
  },
  {
    // A capability owns its tables and exposes a small interface; the pipeline is its client.
    files: ['src/{identity,policy,guard,bank,incidents,privacy,updates,registration,mandates}/**/*.ts'],
    rules: restrictImports(...UPWARD, ACCESS, DEEP_INTO_A_CAPABILITY, SEED),
  },
  {
    files: ['src/access/**/*.ts'],
    rules: restrictImports(...UPWARD, DEEP_INTO_A_CAPABILITY, SEED),
  },
  {
    // The routes and anything else of the server that is neither the command line, the composition root nor the simulator.
    files: ['src/**/*.ts'],
    ignores: [
      'src/{domain,crypto,store,ledger,notify,jobs,identity,policy,guard,bank,incidents,privacy,updates,registration,mandates,access}/**',
      'src/{cli,runtime,simulate,seed}/**',
    ],
    rules: restrictImports(SEED),
  },
  {
    // Tests build deliberately malformed input: `any` is the honest type there.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
