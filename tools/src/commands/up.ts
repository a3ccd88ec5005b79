/** `keyway up` / `keyway demo`: implemented with the end-to-end story (issue 7). */
import { CliError } from '../cli-error';

export async function runUp(_argv: string[], _out: (s: string) => void): Promise<number> {
  throw new CliError('KW_USAGE', 'keyway up is not available in this build yet');
}

export async function runDemo(_argv: string[], _out: (s: string) => void): Promise<number> {
  throw new CliError('KW_USAGE', 'keyway demo is not available in this build yet');
}
