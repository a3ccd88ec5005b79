/**
 * Everything the lock touches outside its own logic, injected (docs/conventions.md#pure-cores-and-injected-ports). The Espruino
 * platform layer (platform/espruino-ports.ts) implements these over Espruino's API; the
 * hardware simulator implements the same Espruino API, so one code path runs everywhere.
 */

export interface TimerPort {
  /** Monotonic milliseconds since boot. */
  millis(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

export interface ClockPort {
  /** The real-time clock in Unix seconds (untrusted until a TIME_SET, docs/protocol.md §3.5). */
  rtc(): number;
  setRtc(seconds: number): void;
}

/** Named byte files in flash (Espruino Storage). write() is NOT atomic: a power cut can tear it. */
export interface StoragePort {
  read(name: string): Uint8Array | null;
  write(name: string, data: Uint8Array): boolean;
  erase(name: string): void;
  list(prefix: string): string[];
}

export interface HardwarePort {
  /** -1 retracts the bolt (unlock), +1 throws it (lock), 0 stops and brakes. */
  motor(direction: number): void;
  /** Motor current in milliamps. */
  motorCurrent(): number;
  /** Bit 0: bolt-thrown (locked) switch closed; bit 1: bolt-retracted (unlocked) switch closed. */
  boltSwitches(): number;
  doorOpen(): boolean;
  onDoor(fn: (open: boolean) => void): void;
  /**
   * The inside button: called with true when pressed and false when released, and when the edge
   * happened on the `millis()` clock (the watch's own timestamp: a busy interpreter may run the
   * callback much later, and a hold must be measured between the edges, not the callbacks).
   */
  onButton(fn: (pressed: boolean, atMs: number) => void): void;
  cameraTrigger(on: boolean): void;
  onCameraAck(fn: () => void): void;
  buzzer(on: boolean): void;
  /** The status LED: lit while the bolt is not thrown. */
  led(on: boolean): void;
  batteryMv(): number;
}

export interface SocketPort {
  write(data: Uint8Array): void;
  close(): void;
}

export interface SocketHandlers {
  onConnect(): void;
  onData(data: Uint8Array): void;
  onClose(): void;
}

export interface NetPort {
  connect(host: string, port: number, tls: boolean, handlers: SocketHandlers): SocketPort;
  /** Joins Wi-Fi where the board has it; calls back with an error text or null. */
  join(ssid: string, password: string, cb: (err: string | null) => void): void;
}

/** A line-oriented serial device (barcode reader, provisioning console). */
export interface LinePort {
  onLine(fn: (line: string) => void): void;
  write(text: string): void;
}

export interface Natives {
  convolve?: (a: any, b: any, offset: number) => number;
  sha512?: (m: Uint8Array) => Uint8Array;
  crc32?: (m: Uint8Array) => number;
  /**
   * A whole strict Ed25519 verification in native code, where the platform has one (no Espruino
   * build does; the Node simulator can offer node:crypto so a bench's many simulated locks cost
   * little CPU). Absent: the lock verifies in sliced pure JS. Never throws; false rejects.
   */
  ed25519Verify?: (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => boolean;
  /**
   * A whole Ed25519 signature with the lock's own key (seed and public key as its record holds
   * them) in native code: the Node simulator's node:crypto, so a bench's locks sign their
   * receipts cheaply. The same bytes as the sliced pure-JS signer (RFC 8032 signatures are
   * deterministic). Absent (every Espruino build): the lock signs in sliced pure JS. A throw or
   * anything but 64 bytes signs nothing.
   */
  ed25519Sign?: (msg: Uint8Array, seed: Uint8Array, pub: Uint8Array) => Uint8Array;
}

export interface Ports {
  timers: TimerPort;
  clock: ClockPort;
  storage: StoragePort;
  hw: HardwarePort;
  net: NetPort | null;
  random(n: number): Uint8Array;
  /**
   * The hardware watchdog, kicked by the interpreter each time it returns to its idle loop: it
   * resets the board only when one callback runs longer than `seconds` (a hung lock), and needs
   * no timer of the lock's own, so an idle lock wakes for nothing.
   */
  watchdog: { enable(seconds: number): void };
  scanner: LinePort | null;
  /** The camera's serial link (CAPTURE out, CLIP in); absent: the acknowledge edge alone. */
  camera?: LinePort | null;
  console: LinePort | null;
  log(message: string): void;
  reboot(): void;
  natives: Natives;
  /** Variables in use / total, when the platform can tell (Espruino process.memory()). */
  memory(): { used: number; total: number } | null;
}
