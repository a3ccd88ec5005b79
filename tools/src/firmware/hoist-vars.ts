/**
 * Makes ES5 hoisting explicit, for Espruino. Espruino declares a variable only when its `var`
 * statement executes, and defines a function declaration only when execution reaches it: a
 * `var` in a branch that is skipped never happens (a later assignment then writes the
 * enclosing scope's variable), and a function called before its declaration is "not
 * defined". This rewrites every function body (and the program) as:
 *
 *   directives; var <every name declared in it>; <its function declarations>; <the rest>
 *
 * with the `var` keyword stripped from the original declarations (`var a=1,b` becomes the
 * expression `a=1,b`; `for(var k in o)` becomes `for(k in o)`). Input and output are ES5.
 */
import { parse } from 'acorn';

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const FUNCTIONS = ['FunctionDeclaration', 'FunctionExpression'];
/** Identifiers Espruino's lexer reads as keywords (see es5-bundle.ts ESPRUINO_RESERVED). */
const ESPRUINO_KEYWORDS = ['of', 'static', 'let', 'yield', 'async', 'await', 'class', 'const', 'enum', 'super'];

function kids(n: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(n)) {
    const v = n[key];
    for (const c of Array.isArray(v) ? v : [v]) if (c && typeof c === 'object' && typeof (c as Node).type === 'string') out.push(c as Node);
  }
  return out;
}

function isDirective(n: Node): boolean {
  return n.type === 'ExpressionStatement' && typeof (n as Node & { directive?: string }).directive === 'string';
}

export function hoistVars(code: string): string {
  const ast = parse(code, { ecmaVersion: 5, sourceType: 'script' }) as unknown as Node;

  /** Names declared with `var` in this function's scope (not inside nested functions). */
  function declaredNames(stmts: Node[]): string[] {
    const names: string[] = [];
    const walk = (n: Node) => {
      for (const c of kids(n)) {
        if (FUNCTIONS.includes(c.type)) continue;
        if (c.type === 'VariableDeclaration') for (const d of c.declarations as Node[]) names.push(code.slice((d.id as Node).start, (d.id as Node).end));
        walk(c);
      }
    };
    for (const s of stmts) {
      if (s.type === 'FunctionDeclaration') continue;
      if (s.type === 'VariableDeclaration') for (const d of s.declarations as Node[]) names.push(code.slice((d.id as Node).start, (d.id as Node).end));
      walk(s);
    }
    return [...new Set(names)];
  }

  /** Source of `node` with this scope's `var` keywords stripped and nested bodies rewritten. */
  function render(node: Node): string {
    const spans: Array<{ start: number; end: number; text: string }> = [];
    const walk = (n: Node) => {
      for (const c of kids(n)) {
        if (FUNCTIONS.includes(c.type)) {
          const body = c.body as Node;
          spans.push({ start: body.start + 1, end: body.end - 1, text: renderBody(body.body as Node[]) });
          continue;
        }
        if (c.type === 'VariableDeclaration') {
          let end = c.start + 3;
          while (/\s/.test(code[end])) end++;
          spans.push({ start: c.start, end, text: '' });
        }
        walk(c);
      }
    };
    if (FUNCTIONS.includes(node.type)) {
      const body = node.body as Node;
      spans.push({ start: body.start + 1, end: body.end - 1, text: renderBody(body.body as Node[]) });
    } else if (node.type === 'VariableDeclaration') {
      let end = node.start + 3;
      while (/\s/.test(code[end])) end++;
      spans.push({ start: node.start, end, text: '' });
      walk(node);
    } else walk(node);
    spans.sort((a, b) => b.start - a.start);
    let out = code.slice(node.start, node.end);
    for (const s of spans) out = out.slice(0, s.start - node.start) + s.text + out.slice(s.end - node.start);
    return out;
  }

  function renderBody(stmts: Node[]): string {
    const parts: string[] = [];
    let i = 0;
    while (i < stmts.length && isDirective(stmts[i])) {
      parts.push(code.slice(stmts[i].start, stmts[i].end) + ';');
      i++;
    }
    const names = declaredNames(stmts.slice(i));
    // Short lines matter on Espruino (exceptions copy their source line): break long var lists.
    for (let k = 0; k < names.length; k += 24) parts.push('var ' + names.slice(k, k + 24).join(',') + ';\n');
    const rest = stmts.slice(i);
    for (const s of rest) if (s.type === 'FunctionDeclaration') parts.push(render(s) + '\n');
    for (const s of rest) {
      if (s.type === 'FunctionDeclaration') continue;
      const r = render(s);
      // Keep statements apart: an expression ending in `}` must not swallow a following `(`.
      if (r.length > 0) parts.push((r.charAt(r.length - 1) === ';' ? r : r + ';') + '\n');
    }
    return parts.join('');
  }

  return renderBody(ast.body as Node[]);
}

/**
 * Throws unless every function body (and the program) has the shape hoistVars produces:
 * `var` declarations and function declarations only before any other statement.
 */
export function assertEspruinoSafe(code: string): void {
  const ast = parse(code, { ecmaVersion: 5, sourceType: 'script' }) as unknown as Node;
  const problems: string[] = [];
  const checkBody = (stmts: Node[]) => {
    let seenOther = false;
    for (const s of stmts) {
      const declaration = s.type === 'FunctionDeclaration' || s.type === 'VariableDeclaration';
      if (declaration && seenOther) problems.push(s.type + ' after other statements at ' + s.start + ': ' + code.slice(s.start, s.start + 50));
      if (!declaration && !isDirective(s) && !(s.type === 'EmptyStatement')) seenOther = true;
      if (s.type === 'FunctionDeclaration') checkBody((s.body as Node).body as Node[]);
      else visit(s);
    }
  };
  const visit = (n: Node) => {
    for (const c of kids(n)) {
      if (c.type === 'Identifier' && ESPRUINO_KEYWORDS.includes(c.name as string)) {
        const isProperty = (n.type === 'MemberExpression' && n.property === c && !n.computed) || (n.type === 'Property' && n.key === c);
        if (!isProperty) problems.push('identifier `' + String(c.name) + '` (a keyword to Espruino) at ' + c.start);
      }
      if (c.type === 'ForStatement' && c.init && (c.init as Node).type === 'CallExpression' && FUNCTIONS.includes(((c.init as Node).callee as Node).type)) {
        problems.push('a function expression called in a for-loop header (Espruino cannot parse it) at ' + c.start);
      }
      if (FUNCTIONS.includes(c.type)) {
        checkBody((c.body as Node).body as Node[]);
        continue;
      }
      if (c.type === 'VariableDeclaration' || c.type === 'FunctionDeclaration') {
        problems.push(c.type + ' inside a block at ' + c.start + ': ' + code.slice(c.start, c.start + 50));
      }
      visit(c);
    }
  };
  checkBody(ast.body as Node[]);
  if (problems.length > 0) throw new Error('bundle is not Espruino-safe (' + problems.length + ' problems), first: ' + problems[0]);
}
