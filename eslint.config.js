// Lint: strict TypeScript everywhere; code that ships to the lock (shared/src, firmware/src)
// additionally bans what Espruino does not run or runs badly (docs/conventions.md#strict-typescript-and-lock-code).
import tseslint from 'typescript-eslint';

const espruinoSyntax = [
  { selector: 'ClassDeclaration[superClass]', message: 'No class inheritance in lock code (ES5 helpers, instanceof breaks).' },
  { selector: 'ClassExpression', message: 'No class expressions in lock code.' },
  { selector: 'SpreadElement', message: 'No spread in lock code (pulls in helpers).' },
  { selector: 'ObjectPattern', message: 'No destructuring in lock code.' },
  { selector: 'ArrayPattern', message: 'No destructuring in lock code.' },
  { selector: 'ForOfStatement', message: 'No for-of in lock code; use an index loop.' },
  { selector: 'ForInStatement', message: 'No for-in in lock code; iterate known keys.' },
  { selector: 'AwaitExpression', message: 'No async/await in lock code.' },
  { selector: 'FunctionDeclaration[async=true]', message: 'No async functions in lock code.' },
  { selector: 'ArrowFunctionExpression[async=true]', message: 'No async functions in lock code.' },
  { selector: 'FunctionExpression[async=true]', message: 'No async functions in lock code.' },
  { selector: 'YieldExpression', message: 'No generators in lock code.' },
  { selector: 'TaggedTemplateExpression', message: 'No tagged templates in lock code.' },
  { selector: 'RegExpLiteral[regex.flags=/[suy]/]', message: 'Only ES5 regular expression flags in lock code.' },
  { selector: 'BinaryExpression[operator="**"]', message: 'Use Math.pow in lock code.' },
  { selector: 'TSEnumDeclaration', message: 'No enums in lock code; use numeric constants.' }
];

const espruinoGlobals = ['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Promise', 'Proxy', 'Reflect', 'BigInt',
  'Buffer', 'process', 'TextEncoder', 'TextDecoder', 'queueMicrotask', 'setImmediate', 'globalThis', 'structuredClone'
].map((name) => ({ name, message: name + ' is not available on the lock.' }));

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', '.scratch/**', 'relay/public/vendor/**', 'test-artifacts/**', '.keyway/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only (docs/conventions.md#exports-and-packages).' }]
    }
  },
  {
    files: ['shared/src/**/*.ts', 'firmware/src/**/*.ts', 'hardware/src/sim/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...espruinoGlobals],
      'prefer-const': 'off',
      'no-restricted-properties': ['error',
        { object: 'Array', property: 'from', message: 'Array.from is missing on Espruino.' },
        { object: 'Object', property: 'assign', message: 'Object.assign: copy fields explicitly on the lock.' },
        { object: 'Math', property: 'imul', message: 'Math.imul is missing on Espruino.' },
        { object: 'Number', property: 'isInteger', message: 'Number.isInteger is missing on Espruino.' }
      ],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only (docs/conventions.md#exports-and-packages).' }, ...espruinoSyntax,
        { selector: "CallExpression[callee.property.name='search']", message: 'String.prototype.search is missing on Espruino; use indexOf.' },
        { selector: "CallExpression[callee.property.name='padStart']", message: 'padStart is missing on Espruino.' },
        { selector: "CallExpression[callee.property.name='repeat']", message: 'String.prototype.repeat: avoid on the lock.' },
        { selector: "CallExpression[callee.property.name='localeCompare']", message: 'localeCompare is missing on Espruino.' },
        { selector: 'Literal[regex]', message: "Espruino's RegExp lacks quantifiers, anchors with alternation and more: parse by hand." }]
    }
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    // Tool configuration files must default-export by convention of those tools.
    files: ['eslint.config.js', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' }
  }
);
