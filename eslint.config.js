// ESLint flat config: typescript-eslint's type-checked rules for src/ and test/ (the JS of bench/, scripts/
// and bin/ gets the recommended rules), formatting left to
// Prettier (eslint-config-prettier turns off the rules it would fight). Run by `npm run lint`, part of
// `npm test`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'man/', 'node_modules/', 'oclif.manifest.json', 'test/fixtures/', 'vitest.config.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // matching control characters is this code's job (terminal escaping, TOML strings, key checks)
      'no-control-regex': 'off',
      // an async function that throws still returns a rejected promise: callers that use .catch() rely on it
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // tests read JSON the CLI printed and poke at shapes on purpose: `any` is their lingua franca there
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // CommonJS on purpose (bin/package.json): a command starts without Node's ES module loader
    files: ['bin/run.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
