/** The shape of one `keyway` command in the command table (tools/src/cli/command-table.ts). */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. `<port>`. */
  readonly value?: string;
  readonly help: string;
  readonly default?: string | boolean;
  readonly required?: boolean;
  /** Environment variable read when the option is not given (kept out of shell history and ps). */
  readonly env?: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CliIo {
  out(line: string): void;
}

export interface CommandSpec {
  /** One or two words: `up`, `firmware build`. */
  readonly name: string;
  readonly summary: string;
  /** Allowed values of the one positional argument (e.g. keys generate|rotate|list); none when absent. */
  readonly actions?: readonly string[];
  /** One free positional argument (e.g. a file), passed to run() as `action`; required when present. */
  readonly operand?: { readonly value: string; readonly help: string };
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Loads what the command needs (lazily) and runs it; returns the exit status. */
  run(values: OptionValues, action: string | undefined, io: CliIo): Promise<number>;
}
