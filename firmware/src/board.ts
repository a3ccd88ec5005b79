/**
 * A board profile: which pin does what and how to read it (hardware/boards/*.json).
 * The build embeds the chosen profile; the Espruino platform layer reads it.
 */
export interface BoardPins {
  motorA: string;
  motorB: string;
  motorPwm: string;
  motorCurrent: string;
  boltLocked: string;
  boltUnlocked: string;
  door: string;
  button: string;
  cameraTrigger: string;
  cameraAck: string;
  buzzer: string;
  led: string;
  battery: string;
  barcodeRx?: string;
  barcodeTx?: string;
  cameraRx?: string;
  cameraTx?: string;
}

export interface BoardProfile {
  id: string;
  name: string;
  /** Espruino board name (process.env.BOARD) the profile targets. */
  espruinoBoard: string;
  /** 'espruino-wifi' | 'esp32' | 'none' (BLE-only boards talk through a gateway). */
  wifi: string;
  pins: BoardPins;
  /** Motor current in mA per unit of analogRead (0..1), from the sense resistor and amplifier. */
  currentScale: number;
  /** Battery millivolts per unit of analogRead, from the divider. */
  batteryScale: number;
  /** Switches and reed pull to ground when closed. */
  inputsActiveLow: boolean;
  /** Serial port name of the barcode reader, for the parcel-box profile. */
  barcodeSerial?: string;
  barcodeBaud?: number;
  /** Serial port of the camera's data link (docs/protocol.md §6.1): the clip hash arrives on it. */
  cameraSerial?: string;
  cameraBaud?: number;
  /** Variables the interpreter has on this board. */
  variables: number;
  /**
   * Where the lock keeps the Espruino console (the REPL `keyway flash`/`provision` use), set
   * at boot so it never sits on the barcode UART: 'USB', 'LoopbackA'… Absent: leave it.
   */
  console?: string;
  /** A remote console this board's Espruino build opens by default, which boot switches off. */
  remoteConsole?: 'telnet' | 'ble-uart';
  /**
   * Boards whose only UART is shared by the console and the barcode reader (no USB): holding
   * the inside button while powering up keeps the console there for `keyway flash`/`provision`
   * and leaves the reader off until the next normal boot.
   */
  serviceConsoleOnButton?: boolean;
}
