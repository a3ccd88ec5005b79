/**
 * Turns argv into a command from the table and its option values, strictly: an unknown
 * command, option or action, a missing value or a missing required option is a KW_USAGE
 * error naming the command's --help. `--help` anywhere wins and runs nothing.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from '../cli-error';
import type { CommandSpec, OptionValues } from './command-spec';

export type Parsed =
  | { kind: 'overview' }
  | { kind: 'help'; command: CommandSpec }
  | { kind: 'run'; command: CommandSpec; values: OptionValues; action: string | undefined };

const HELP_FLAGS = ['--help', '-h'];

function findCommand(commands: readonly CommandSpec[], argv: readonly string[]): { command: CommandSpec; rest: string[] } {
  const [first, second] = argv;
  const two = commands.find((c) => c.name === first + ' ' + second);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = commands.find((c) => c.name === first);
  if (one) return { command: one, rest: argv.slice(1) };
  const group = commands.filter((c) => c.name.startsWith(first + ' '));
  if (group.length > 0) {
    const subs = group.map((c) => c.name.split(' ')[1]).join(', ');
    throw new CliError('KW_USAGE', 'keyway ' + first + ' needs one of: ' + subs, false, 'keyway ' + group[0].name + ' --help');
  }
  throw new CliError('KW_USAGE', 'unknown command "' + first + '"', false, 'keyway help lists the commands');
}

export function parseCommand(commands: readonly CommandSpec[], argv: readonly string[]): Parsed {
  if (argv.length === 0 || (argv[0] === 'help' && argv.length === 1) || HELP_FLAGS.includes(argv[0])) return { kind: 'overview' };
  if (argv[0] === 'help') return { kind: 'help', command: findCommand(commands, argv.slice(1)).command };
  const { command, rest } = findCommand(commands, argv);
  if (rest.some((a) => HELP_FLAGS.includes(a))) return { kind: 'help', command };
  const hint = 'keyway ' + command.name + ' --help lists its options';
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(command.options)) options[name] = o.default === undefined ? { type: o.type } : { type: o.type, default: o.default } as never;
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: true }) as { values: OptionValues; positionals: string[] };
  } catch (e) {
    throw new CliError('KW_USAGE', String((e as Error).message).replace(/\. To specify a positional argument.*$/s, ''), false, hint);
  }
  const { values, positionals } = parsed;
  let action: string | undefined;
  if (command.actions) {
    if (positionals.length !== 1 || !command.actions.includes(positionals[0])) {
      throw new CliError('KW_USAGE', 'keyway ' + command.name + ' needs one of: ' + command.actions.join(', '), false, hint);
    }
    action = positionals[0];
  } else if (command.operand) {
    if (positionals.length !== 1) throw new CliError('KW_USAGE', 'keyway ' + command.name + ' needs one argument: ' + command.operand.value, false, hint);
    action = positionals[0];
  } else if (positionals.length > 0) {
    throw new CliError('KW_USAGE', 'unexpected argument "' + positionals[0] + '"', false, hint);
  }
  for (const [name, o] of Object.entries(command.options)) {
    if (values[name] === undefined && o.env && process.env[o.env]) values[name] = process.env[o.env];
    if (o.type === 'string' && values[name] === '') throw new CliError('KW_USAGE', '--' + name + ' is empty', false, hint);
    if (o.required && values[name] === undefined) throw new CliError('KW_USAGE', '--' + name + (o.env ? ' (or ' + o.env + ')' : '') + ' is required', false, hint);
  }
  return { kind: 'run', command, values, action };
}
