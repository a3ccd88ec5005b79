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

/** Breaks out of anything running and waits for the REPL to answer. */
export async function getPrompt(link: LineIO, timeoutMs = 3000): Promise<void> {
  await link.write('\x03');
  const id = 'KWRDY' + ++marker + '_' + Date.now().toString(36);
  await link.write('\x10print("' + id + '")\n');
  try {
    await link.readLine((l) => l.includes(id), timeoutMs);
  } catch (e) {
    if (e instanceof CliError && e.code === 'KW_TIMEOUT') throw new CliError('KW_NO_PROMPT', link.name);
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
