// ESLint (flat config): typescript-eslint's recommended rules and an import-cycle check, run by `npm run lint` in npm test.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const jestGlobals = Object.fromEntries(
  ['describe', 'it', 'test', 'expect', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach', 'jest'].map((g) => [g, 'readonly']),
);
const nodeGlobals = Object.fromEntries(
  ['console', 'process', 'Buffer', 'URL', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'AbortController', 'AbortSignal'].map((g) => [
    g,
    'readonly',
  ]),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/', '.data/', 'charts/', 'src/web/public/', 'test/harness/python/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })] },
    rules: {
      // No import cycle between files (test/architecture/import-cycles.spec.ts also checks the folders of src/).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // A leading underscore marks a parameter or binding kept on purpose (signatures, destructuring to omit a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // `(...args: any[]) => …` is how Nest types provider factories; other `any`s are still errors.
      '@typescript-eslint/no-explicit-any': ['error', { ignoreRestArgs: true }],
    },
  },
  {
    // CommonJS files (bin/, Jest configs and fixtures) load with require().
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests and benches read untyped JSON answers and load modules afresh with require() (jest.isolateModules, after env changes).
    files: ['test/**', 'bench/**', '**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.int-spec.ts'],
    languageOptions: { globals: jestGlobals },
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
