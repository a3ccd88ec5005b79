/**
 * Builds one ES5 bundle from TypeScript for interpreters without modules (Espruino, Duktape):
 * TypeScript 5.9 transpiles each file to ES5 (module syntax kept), Rollup joins and
 * tree-shakes them into one function scope, Terser minifies with an ES5 output target,
 * and acorn re-parses the result as ES5 so nothing newer can slip through.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import { rollup, type Plugin } from 'rollup';
import { minify } from 'terser';
import ts from 'typescript';
import { REPO_ROOT } from '../repo-root';
import { assertEspruinoSafe, hoistVars } from './hoist-vars';

export { REPO_ROOT };

/** Globals the lock does not have (or must not rely on). */
/** Names Espruino's parser treats as keywords although ES5 does not. */
export const ESPRUINO_RESERVED = ['of', 'static', 'let', 'yield', 'async', 'await', 'get', 'set', 'class', 'const', 'enum', 'super'];

const BANNED_GLOBALS = ['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Promise', 'Proxy', 'Reflect', 'BigInt',
  'Buffer', 'TextEncoder', 'TextDecoder', 'globalThis', 'queueMicrotask', 'setImmediate'];

export interface Es5BundleOptions {
  /** Entry file (absolute, or relative to the repository root). */
  entry: string;
  /** Minify with Terser (default true). */
  minify?: boolean;
  /** Code placed before the bundle (for example board constants). */
  banner?: string;
  /** Name of a global the entry's exports are assigned to (default: none, run for effect). */
  globalName?: string;
}

export interface Es5Bundle {
  code: string;
  bytes: number;
  modules: string[];
}

function keywayResolver(): Plugin {
  return {
    name: 'keyway-ts',
    resolveId(source, importer) {
      if (source.startsWith('@keyway/')) return resolveWorkspaceExport(source);
      if (!importer) return path.resolve(REPO_ROOT, source);
      if (!(source.startsWith('./') || source.startsWith('../') || path.isAbsolute(source))) {
        this.error('lock code may only import relative files and @keyway packages, not "' + source + '" (from ' + importer + ')');
      }
      const base = path.resolve(path.dirname(importer), source);
      for (const candidate of [base, base + '.ts', path.join(base, 'index.ts')]) {
        if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
      }
      this.error('cannot resolve ' + source + ' from ' + importer);
    },
    load(id) {
      return readFileSync(id, 'utf8');
    },
    transform(code, id) {
      const out = ts.transpileModule(code, {
        fileName: id,
        reportDiagnostics: true,
        compilerOptions: {
          target: ts.ScriptTarget.ES5,
          module: ts.ModuleKind.ESNext,
          importHelpers: false,
          noEmitHelpers: false,
          downlevelIteration: false,
          removeComments: true,
          verbatimModuleSyntax: true,
          sourceMap: false
        }
      });
      if (out.diagnostics && out.diagnostics.length > 0) {
        this.error(ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, '\n') + ' in ' + id);
      }
      if (/\b__(extends|assign|spreadArray|awaiter|generator|read|values|rest)\b/.test(out.outputText)) {
        this.error('TypeScript emitted an ES5 helper for ' + id + '; lock code must not need one');
      }
      return { code: out.outputText, map: null };
    }
  };
}

/** Maps `@keyway/<pkg>[/<sub>]` through that workspace package's `exports` map. */
function resolveWorkspaceExport(source: string): string {
  const rest = source.slice('@keyway/'.length);
  const slash = rest.indexOf('/');
  const pkg = slash < 0 ? rest : rest.slice(0, slash);
  const sub = slash < 0 ? '.' : './' + rest.slice(slash + 1);
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, pkg, 'package.json'), 'utf8')) as { exports?: Record<string, string> };
  const target = manifest.exports && manifest.exports[sub];
  if (!target) throw new Error('no export "' + sub + '" in @keyway/' + pkg);
  return path.join(REPO_ROOT, pkg, target);
}

export async function bundleEs5(options: Es5BundleOptions): Promise<Es5Bundle> {
  const entry = path.isAbsolute(options.entry) ? options.entry : path.join(REPO_ROOT, options.entry);
  const build = await rollup({
    input: entry,
    plugins: [keywayResolver()],
    // Lock code has no import-time side effects except the entry's: anything unused is dropped.
    treeshake: { moduleSideEffects: (id) => id === entry, propertyReadSideEffects: false },
    onwarn(warning, warn) {
      if (warning.code === 'CIRCULAR_DEPENDENCY') throw new Error('circular import in lock code: ' + warning.message);
      warn(warning);
    }
  });
  const { output } = await build.generate({
    format: 'iife',
    name: options.globalName,
    generatedCode: { preset: 'es5', constBindings: false, arrowFunctions: false, objectShorthand: false },
    strict: false,
    freeze: false,
    externalLiveBindings: false
  });
  await build.close();
  const chunk = output[0];
  let code = (options.banner ? options.banner + '\n' : '') + chunk.code;
  const minified = options.minify !== false;
  if (minified) {
    const min = await minify(code, {
      ecma: 5,
      toplevel: options.globalName === undefined,
      // `directives: false` keeps Espruino's "ram" directive (shared/src/sha512.ts), which Terser would drop as non-standard.
      compress: { passes: 2, ecma: 5, keep_fargs: false, pure_getters: true, unsafe_arrows: false, directives: false },
      // `of` and `static` are keywords to Espruino's lexer ("Got of expected ID"): never use them as names.
      mangle: { toplevel: options.globalName === undefined, reserved: ESPRUINO_RESERVED.concat(options.globalName ? [options.globalName] : []) },
      // Short lines: Espruino copies the source line of every stack frame into RAM when an
      // exception is thrown; one 70 KB line would exhaust the lock's memory on the first throw.
      format: { ascii_only: true, ecma: 5, comments: false, max_line_len: 160 }
    });
    code = min.code ?? '';
  }
  // Espruino hoists neither `var` nor function declarations (see hoist-vars.ts): make it explicit.
  code = hoistVars(code);
  assertEs5(code);
  assertEspruinoSafe(code);
  return { code, bytes: Buffer.byteLength(code, 'utf8'), modules: chunk.moduleIds.map((m) => path.relative(REPO_ROOT, m)) };
}

/** Throws unless `code` parses as ES5 and references none of the banned globals. */
export function assertEs5(code: string): void {
  const ast = parse(code, { ecmaVersion: 5, sourceType: 'script' });
  const found = new Set<string>();
  walk(ast as unknown as AstNode, null, (node, parent) => {
    if (node.type !== 'Identifier' || !BANNED_GLOBALS.includes(node.name as string)) return;
    if (parent && parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return;
    if (parent && parent.type === 'Property' && parent.key === node && !parent.computed) return;
    found.add(node.name as string);
  });
  if (found.size > 0) throw new Error('bundle uses globals the lock lacks: ' + [...found].join(', '));
}

interface AstNode {
  type: string;
  [key: string]: unknown;
}

function walk(node: AstNode, parent: AstNode | null, visit: (n: AstNode, p: AstNode | null) => void): void {
  visit(node, parent);
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object' && typeof (v as AstNode).type === 'string') walk(v as AstNode, node, visit);
    } else if (value && typeof value === 'object' && typeof (value as AstNode).type === 'string') {
      walk(value as AstNode, node, visit);
    }
  }
}
