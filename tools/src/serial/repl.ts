/**
 * Talking to an Espruino REPL over a SerialLink: get a prompt, run a quiet (`\x10`) statement,
 * evaluate an expression and read its JSON result between unique markers.
 */
import { CliError } from '../cli-error';
/** What the REPL helpers need: a named line-oriented link (SerialLink or EspruinoTools). */
export interface LineIO {
  readonly name: string;
  write(data: string): Promise<void>;
  readLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
}

let marker = 0;

/**
 * Espruino's "erase the current line" key (ESC [ 2 H): drops anything half-typed on the REPL
 * without interrupting code. A Ctrl-C does more: it breaks into the lock's running code, and
 * Espruino's desktop (Linux) build exits when a Ctrl-C on an empty line follows another within
 * 5 s, which is what a flash followed by a provision does.
 */
export const ERASE_LINE = '\x1b[2H';
const CTRL_C = '\x03';

export interface PromptOptions {
  /** When the REPL does not answer the first probe, send Ctrl-C and probe once more (default on). */
  interrupt?: boolean;
}

/**
 * Waits for the REPL to answer: erases any half-typed line and prints a unique marker. Only a
 * board that does not answer within `timeoutMs` (code stuck in a loop) gets a Ctrl-C, and then
 * as long again to answer.
 */
export async function getPrompt(link: LineIO, timeoutMs = 3000, o: PromptOptions = {}): Promise<void> {
  if (await probe(link, timeoutMs)) return;
  if (o.interrupt !== false) {
    await link.write(CTRL_C);
    if (await probe(link, timeoutMs)) return;
  }
  throw new CliError('KW_NO_PROMPT', link.name);
}

async function probe(link: LineIO, timeoutMs: number): Promise<boolean> {
  const id = 'KWRDY' + ++marker + '_' + Date.now().toString(36);
  await link.write(ERASE_LINE + '\x10print("' + id + '")\n');
  try {
    await link.readLine((l) => l.includes(id), timeoutMs);
    return true;
  } catch (e) {
    if (e instanceof CliError && e.code === 'KW_TIMEOUT') return false;
    throw e;
  }
}

/** Evaluates `expr` on the board and parses its JSON value. */
export async function evaluate<T = unknown>(link: LineIO, expr: string, timeoutMs = 5000): Promise<T> {
  const id = 'KWV' + ++marker;
  await link.write('\x10print("' + id + ':"+JSON.stringify(' + expr + '))\n');
  // The answer may follow a `>` prompt on the same line.
  const line = await link.readLine((l) => l.includes(id + ':'), timeoutMs);
  const json = line.slice(line.indexOf(id + ':') + id.length + 1).trim();
  return (json === 'undefined' || json === '' ? undefined : JSON.parse(json)) as T;
}

/** Runs a statement and waits until the board has finished it. */
export async function run(link: LineIO, statement: string, timeoutMs = 5000): Promise<void> {
  const id = 'KWOK' + ++marker;
  await link.write('\x10' + statement + ';print("' + id + '")\n');
  await link.readLine((l) => l.includes(id), timeoutMs);
}
