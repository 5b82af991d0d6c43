// TypeScript lint (ESLint flat config with typescript-eslint), checked by scripts/lint.sh
// over src, test and bench. The rules are the recommended sets, plus what the code
// already keeps to; formatting is not a lint concern here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'prebuilds/**', 'bench-data/**', '.hextorch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are errors for tsc already (noUnusedLocals/Parameters); `_` marks intent.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // The typed-events pattern (class + interface of the same name) is deliberate.
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-console': 'off',
    },
  },
);
