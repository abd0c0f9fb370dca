// ESLint: typescript-eslint's strict type-checked rules on lib/ and spec/, the recommended JS rules on
// bench/, scripts/ and the samples, no import cycles in lib/, and nothing that Prettier decides.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['build/', 'dist/', 'coverage/', '**/node_modules/', 'samples/*/public/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // `return next();` in a function that returns nothing is how a middleware stops; a void value
      // used as a value (`const x = f()`, `log(f())`) is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreVoidReturningFunctions: true }],
      // Numbers read as they should in a template; null, undefined, booleans and objects are still
      // refused. (Options given replace the preset's, so each is spelled out.)
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowNumber: true, allowRegExp: false },
      ],
      // A handler's rejection or throw is passed on as it came, typed unknown (as only-throw-error allows).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Namespaces only to merge into a global declaration (Express.Request in express-request.ts).
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  {
    // The specs read parsed JSON bodies and log lines (any by nature, checked by the assertions that
    // follow) and values the test has just arranged to be present (`match!`, `map.get(k)!`): a failed
    // assumption there throws and fails the spec, which is what a check would do.
    files: ['spec/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // The specs' FC handlers and hooks are async without an await on purpose, as users write them: the
      // returned promise is the handler style under test (a throw that becomes a rejection, a promise
      // that races the callback and is reported as late), and the fixture sites are such users' code.
      '@typescript-eslint/require-await': 'off',
      // chai's property assertions (`.to.be.empty`, `.that.is.not.empty`) are expressions by design.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // A cycle through values makes load order matter; `import type` cycles are ignored by the rule.
    files: ['lib/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      sourceType: 'module',
      globals: globals.node,
    },
  },
  prettier,
);
