/**
 * Test and bench helper for ES5 bundles run on Espruino (see the function's comment).
 */
import { parse } from 'acorn';

interface AstNode {
  type: string;
  start: number;
  end: number;
  name?: string;
  [key: string]: unknown;
}

/**
 * Workaround until tools/src/firmware/es5-bundle.ts reserves them: Espruino's lexer treats
 * `of` (and `static`) as keywords, so a minifier-chosen identifier with that name is a syntax
 * error there ("Got of expected ID"). Renames such identifiers (never property names).
 */
export function avoidEspruinoKeywords(code: string): string {
  const spans: number[] = [];
  const visit = (n: AstNode, parent: AstNode | null, key: string) => {
    if (n.type === 'Identifier' && (n.name === 'of' || n.name === 'static')) {
      const isProperty = parent && ((parent.type === 'MemberExpression' && key === 'property' && !parent.computed) ||
        (parent.type === 'Property' && key === 'key'));
      if (!isProperty) spans.push(n.start);
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      for (const c of Array.isArray(v) ? v : [v]) if (c && typeof c === 'object' && typeof (c as AstNode).type === 'string') visit(c as AstNode, n, k);
    }
  };
  visit(parse(code, { ecmaVersion: 5 }) as unknown as AstNode, null, '');
  let out = code;
  for (const at of spans.sort((a, b) => b - a)) out = out.slice(0, at) + '$' + out.slice(at);
  return out;
}

