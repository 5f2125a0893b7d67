// Lint for drbook (ESLint 9 flat config): typescript-eslint's recommended rules, the
// layering of src/ (scripts/layers.mjs: an import may only point DOWN), and one house rule
// (an ignored rejection says why). `npm run lint`; `npm test` runs it before the tests.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { LAYERS } from './scripts/layers.mjs';

// One zone per folder: nothing in it may import a peer on its own line or anything above.
// import-x resolves every specifier (`../../engine/x.js` from any depth, `.js` → `.ts`),
// so the zones match real files, not spellings of paths.
const layerZones = LAYERS.flatMap((names, rank) =>
  names.flatMap((name) => {
    const forbidden = [...names.filter((n) => n !== name), ...LAYERS.slice(rank + 1).flat()];
    if (forbidden.length === 0) return []; // the top layer may import anything
    return {
      target: `./src/${name}`,
      from: forbidden.map((n) => `./src/${n}`),
      message: `src/${name} sits below what it imports here (scripts/layers.mjs): move the shared part down (src/core, src/input) or hand it in as a parameter.`,
    };
  }),
);

/** `.catch(() => undefined)` and friends: ignoring a rejection is fine only with a comment saying why. */
const explainedCatch = {
  meta: { type: 'suggestion', messages: { unexplained: 'An ignored rejection needs a comment saying why ignoring it is right (or handle it: narrow the error, or warn).' } },
  create(context) {
    const source = context.sourceCode;
    const ignores = (fn) =>
      (fn?.type === 'ArrowFunctionExpression' || fn?.type === 'FunctionExpression') &&
      (fn.body.type === 'BlockStatement' ? fn.body.body.length === 0 : fn.body.type === 'Identifier' && fn.body.name === 'undefined');
    return {
      'CallExpression[callee.property.name="catch"]'(node) {
        if (!ignores(node.arguments[0])) return;
        const line = node.callee.property.loc.start.line;
        const explained = source.getAllComments().some((c) => c.loc.end.line >= line - 1 && c.loc.start.line <= node.loc.end.line);
        if (!explained) context.report({ node: node.arguments[0], messageId: 'unexplained' });
      },
    };
  },
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX, drbook: { rules: { 'explained-catch': explainedCatch } } },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...layerZones,
            // The workspace packages stand on their own: the product depends on them, never the reverse.
            { target: './packages', from: './src', message: 'packages/* must not import the product (src/): move the shared part into @drbook/system.' },
            { target: './packages/system', from: './packages/sandbox', message: '@drbook/system sits below @drbook/sandbox.' },
          ],
        },
      ],
      'drbook/explained-catch': 'error',
      // `let x; later(() => x); x = ...`: the closure needs the name before the value exists.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_`-prefixed names are deliberately unused (a callback's position, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The product does not depend on the sandbox: only rehearse/demo and the `drbook sandbox` commands use it.
    files: ['src/**/*.ts'],
    ignores: ['src/rehearsal/**', 'src/cli/commands/sandbox.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@drbook/sandbox', message: 'only src/rehearsal and the `drbook sandbox` commands may use the sandbox package.' }] }],
    },
  },
  {
    files: ['test/**', 'packages/*/test/**'],
    rules: {
      // Tests read JSON events and journal lines by their keys (e.finding.level); typing each
      // shape would repeat what the assertions already check.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
