/**
 * The `keyway` command line. Commands, options and help come from one table
 * (tools/src/cli/command-table.ts); `keyway help` lists them, `keyway <command> --help` shows
 * one. Errors print their stable code and a hint on stderr and exit with the code's status
 * (tools/src/cli-error.ts); a stack trace appears only for a bug, and only with KEYWAY_DEBUG=1.
 */
import { CliError, formatCliError } from './cli-error';
import { commandHelp, overviewHelp } from './cli/command-help';
import { COMMANDS } from './cli/command-table';
import { parseCommand } from './cli/parse-command';

export async function main(argv: string[], out: (s: string) => void = (s) => void process.stdout.write(s + '\n')): Promise<number> {
  try {
    const parsed = parseCommand(COMMANDS, argv);
    if (parsed.kind === 'overview') {
      out(overviewHelp(COMMANDS));
      return argv.length === 0 ? 2 : 0;
    }
    if (parsed.kind === 'help') {
      out(commandHelp(parsed.command));
      return 0;
    }
    return await parsed.command.run(parsed.values, parsed.action, { out });
  } catch (e) {
    const err = e instanceof CliError ? e : new CliError('KW_INTERNAL', String((e as Error)?.message ?? e));
    console.error(formatCliError(err));
    if (!(e instanceof CliError) && process.env.KEYWAY_DEBUG) console.error((e as Error)?.stack ?? e);
    return err.exit;
  }
}
