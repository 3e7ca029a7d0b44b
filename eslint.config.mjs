// typescript-eslint flat config; the kernel port keeps kernel names (snake_case), so naming is not linted.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-scratch/**', 'node_modules/**', 'bin/**', 'oracle/linux/**', 'scratch/**', 'coverage/**', '.stryker-tmp/**', 'reports/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-restricted-globals': ['error', { name: 'Date', message: 'no clocks in procns' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'all randomness flows from the seed' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-fallthrough': 'off',
      // every syscall is a generator, whether or not it has a point where it may sleep
      'require-yield': 'off',
    },
  },
  // .ci/reporter.js: a CommonJS module mocha loads by path
  {
    files: ['.ci/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
