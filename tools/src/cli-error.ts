/**
 * The CLI's errors: one registry of stable codes, each with the exit status the `keyway`
 * command returns and whether the device may have been changed (STYLE rule 6).
 */
export const CLI_ERRORS = {
  KW_USAGE: { exit: 2, message: 'Wrong arguments' },
  KW_PORT_NOT_FOUND: { exit: 3, message: 'No such serial port' },
  KW_PORT_BUSY: { exit: 3, message: 'The serial port is in use by another program' },
  KW_PORT_PERMISSION: { exit: 3, message: 'No permission to open the serial port' },
  KW_PORT_CLOSED: { exit: 3, message: 'The connection to the board was lost' },
  KW_NO_PROMPT: { exit: 4, message: 'The board did not answer with an Espruino prompt' },
  KW_TIMEOUT: { exit: 4, message: 'The board did not answer in time' },
  KW_FLASH_FAILED: { exit: 5, message: 'Writing the firmware failed' },
  KW_FLASH_MISMATCH: { exit: 5, message: 'The board does not run the build that was flashed' },
  KW_PROV_REFUSED: { exit: 6, message: 'The lock refused the configuration' },
  KW_PROV_NOT_INSTALL_MODE: { exit: 6, message: 'The lock is provisioned and not in install mode (hold the inside button 5 s)' },
  KW_PROV_VERIFY: { exit: 6, message: 'The lock does not hold the configuration that was sent' },
  KW_PROV_NO_FIRMWARE: { exit: 6, message: 'The board does not run keyway firmware (flash it first)' },
  KW_RELAY: { exit: 7, message: 'The relay refused the request' },
  KW_RELAY_UNREACHABLE: { exit: 7, message: 'The relay cannot be reached' },
  KW_BAD_KEY: { exit: 8, message: 'A key is not an acceptable Ed25519 public key' },
  KW_KEYS: { exit: 8, message: 'Key store problem' },
  KW_BUILD: { exit: 9, message: 'Building the firmware failed' }
} as const;

export type CliErrorCode = keyof typeof CLI_ERRORS;

export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exit: number;
  /** True when the device may have been changed before the failure. */
  readonly deviceTouched: boolean;

  constructor(code: CliErrorCode, detail?: string, deviceTouched = false) {
    super(CLI_ERRORS[code].message + (detail ? ': ' + detail : ''));
    this.code = code;
    this.exit = CLI_ERRORS[code].exit;
    this.deviceTouched = deviceTouched;
  }
}
