/** Help text generated from the command table: `keyway help` and `keyway <command> --help`. */
import type { CommandSpec, OptionSpec } from './command-spec';

function optionUsage(name: string, o: OptionSpec): string {
  const flag = '--' + name + (o.type === 'string' ? ' ' + (o.value ?? '<value>') : '');
  return o.required ? flag : '[' + flag + ']';
}

/** One-line usage: `keyway keys generate|rotate|list [--dir <dir>]`. */
export function usageLine(c: CommandSpec): string {
  const parts = ['keyway', c.name];
  if (c.actions) parts.push(c.actions.join('|'));
  if (c.operand) parts.push(c.operand.value);
  for (const [name, o] of Object.entries(c.options)) parts.push(optionUsage(name, o));
  return parts.join(' ');
}

export function commandHelp(c: CommandSpec): string {
  const lines = [usageLine(c), '', c.summary, ''];
  if (c.operand) lines.push('Argument:', '  ' + c.operand.value + '  ' + c.operand.help, '');
  const names = Object.keys(c.options);
  if (names.length > 0) {
    lines.push('Options:');
    const width = Math.max(...names.map((n) => n.length + (c.options[n].type === 'string' ? (c.options[n].value ?? '<value>').length + 1 : 0))) + 4;
    for (const n of names) {
      const o = c.options[n];
      const flag = '--' + n + (o.type === 'string' ? ' ' + (o.value ?? '<value>') : '');
      const extra = [o.required ? 'required' : '', o.default !== undefined && o.default !== false ? 'default ' + String(o.default) : '', o.env ? 'or $' + o.env : '']
        .filter(Boolean).join('; ');
      lines.push('  ' + flag.padEnd(width) + o.help + (extra ? ' (' + extra + ')' : ''));
    }
    lines.push('');
  }
  lines.push('  --help  prints this text and runs nothing');
  return lines.join('\n');
}

/** `keyway help`: every command with its summary. */
export function overviewHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const lines = ['keyway — open smart-lock tools', '', 'Commands:'];
  for (const c of commands) lines.push('  keyway ' + c.name.padEnd(width) + c.summary);
  lines.push('', 'keyway <command> --help shows a command\'s options.');
  return lines.join('\n');
}

/** The README's command list (Markdown), kept in step with the table by a test. */
export function markdownCommandList(commands: readonly CommandSpec[]): string {
  return commands.map((c) => '- `' + usageLine(c) + '`: ' + c.summary).join('\n');
}
