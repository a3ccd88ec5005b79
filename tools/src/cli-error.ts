/**
 * The CLI's errors: one registry of stable codes, each with the exit status the `keyway`
 * command returns, a hint that says what to do next, and whether the device may have been
 * changed (docs/conventions.md "Errors"). Mistakes in what the user typed (arguments, board
 * names, a missing key directory, a path that is not a serial port) exit 2; failures of the
 * board, the relay or the build have their own statuses. A user error never prints a stack.
 */
export const CLI_ERRORS = {
  KW_USAGE: { exit: 2, message: 'Wrong arguments', hint: 'keyway help lists the commands; keyway <command> --help its options' },
  KW_UNKNOWN_BOARD: { exit: 2, message: 'No such board profile', hint: 'use one of the ids listed, or --board-file <json> for custom wiring' },
  KW_NO_KEYS: { exit: 2, message: 'No relay keys in the key directory', hint: 'create them with keyway keys generate --dir <dir>, or point --dir at the relay\'s data/keys' },
  KW_NOT_A_SERIAL_PORT: { exit: 2, message: 'The path is not a serial port', hint: 'give the board\'s device, e.g. /dev/ttyACM0 or /dev/ttyUSB0 (ls /dev/serial/by-id), or tcp://host:port' },
  KW_PORT_NOT_FOUND: { exit: 3, message: 'No such serial port', hint: 'check the cable and the path (ls /dev/serial/by-id)' },
  KW_PORT_BUSY: { exit: 3, message: 'The serial port is in use by another program', hint: 'close the other program (a terminal, the Web IDE) and try again' },
  KW_PORT_PERMISSION: { exit: 3, message: 'No permission to open the serial port', hint: 'add yourself to the dialout group (then log in again)' },
  KW_PORT_CLOSED: { exit: 3, message: 'The connection to the board was lost', hint: 'check the cable and that the board is powered' },
  KW_NO_PROMPT: { exit: 4, message: 'The board did not answer with an Espruino prompt', hint: 'check the baud rate and that the board runs Espruino' },
  KW_TIMEOUT: { exit: 4, message: 'The board did not answer in time', hint: 'reset the board and try again' },
  KW_FLASH_FAILED: { exit: 5, message: 'Writing the firmware failed', hint: 'reset the board and run keyway flash again' },
  KW_FLASH_MISMATCH: { exit: 5, message: 'The board does not run the build that was flashed', hint: 'run keyway flash again; if it repeats, the board\'s Storage may be full or faulty' },
  KW_PROV_REFUSED: { exit: 6, message: 'The lock refused the configuration', hint: 'see docs/provisioning.md for the lock\'s reason codes' },
  KW_PROV_NOT_INSTALL_MODE: { exit: 6, message: 'The lock is provisioned and not in install mode (hold the inside button 5 s)', hint: 'hold the inside button for 5 s, then run the command again' },
  KW_PROV_VERIFY: { exit: 6, message: 'The lock does not hold the configuration that was sent', hint: 'run keyway provision again (it is safe to re-run)' },
  KW_PROV_NO_FIRMWARE: { exit: 6, message: 'The board does not run keyway firmware (flash it first)', hint: 'run keyway flash --port <port> first' },
  KW_RELAY: { exit: 7, message: 'The relay refused the request', hint: 'check --site and that --token is a valid installer token (keyway up prints one)' },
  KW_RELAY_UNREACHABLE: { exit: 7, message: 'The relay cannot be reached', hint: 'check --relay (e.g. http://127.0.0.1:8080) and that the relay runs' },
  KW_DATA_KEY_INVALID: { exit: 2, message: 'The relay\'s data key is unusable', hint: 'chmod 600 the data key file (<data>/data.key or KEYWAY_DATA_KEY_FILE), or set KEYWAY_DATA_KEY to 32 bytes in base64' },
  KW_PORT_IN_USE: { exit: 7, message: 'A network port the relay needs is in use', hint: 'stop the other program, or choose other ports with --http and --mqtt' },
  KW_BAD_KEY: { exit: 8, message: 'A key is not an acceptable Ed25519 public key', hint: 'the relay\'s keys are damaged; check its data/keys directory' },
  KW_KEYS: { exit: 8, message: 'Key store problem', hint: 'keyway keys list --dir <dir> shows what the directory holds' },
  KW_BUILD: { exit: 9, message: 'Building the firmware failed', hint: 'run npm ci, then try again' },
  KW_RECEIPT_INVALID: { exit: 10, message: 'The receipt does not hold', hint: 'the receipt, the lock key or the events were changed, or do not belong together; see docs/protocol.md §6.2' },
  KW_INTERNAL: { exit: 1, message: 'Internal error (a bug in keyway)', hint: 'set KEYWAY_DEBUG=1 to see the stack trace, and report it' }
} as const;

export type CliErrorCode = keyof typeof CLI_ERRORS;

export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exit: number;
  /** True when the device may have been changed before the failure. */
  readonly deviceTouched: boolean;
  /** What to do next. */
  readonly hint: string;

  constructor(code: CliErrorCode, detail?: string, deviceTouched = false, hint?: string) {
    super(CLI_ERRORS[code].message + (detail ? ': ' + detail : ''));
    this.code = code;
    this.exit = CLI_ERRORS[code].exit;
    this.deviceTouched = deviceTouched;
    this.hint = hint ?? CLI_ERRORS[code].hint;
  }
}

/** The lines `keyway` prints on stderr for an error. */
export function formatCliError(e: CliError): string {
  return 'keyway: ' + e.code + ': ' + e.message + (e.deviceTouched ? ' (the device may have been changed)' : '') + '\n  hint: ' + e.hint;
}
