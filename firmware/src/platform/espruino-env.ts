/**
 * The subset of Espruino's API the lock uses (https://www.espruino.com/Reference), as one
 * object. On a board, main.ts fills it from the real globals and modules; the hardware
 * simulator provides the same shape, so the platform layer above it is the shipped code.
 */
export interface WatchEvent {
  state: boolean;
  time: number;
}

export interface EspruinoSocket {
  write(data: string): void;
  end(): void;
  on(event: string, fn: (data?: any) => void): void;
}

export interface EspruinoSerial {
  setup(baud: number, options: any): void;
  on(event: string, fn: (data: string) => void): void;
  write(data: string): void;
}

export interface EspruinoStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
  erase(name: string): void;
  list(pattern?: RegExp): string[];
}

export interface EspruinoEnv {
  digitalWrite(pin: string, value: number): void;
  digitalRead(pin: string): number;
  analogRead(pin: string): number;
  analogWrite(pin: string, value: number, options?: any): void;
  pinMode(pin: string, mode: string): void;
  setWatch(fn: (e: WatchEvent) => void, pin: string, options: any): any;
  setTimeout(fn: () => void, ms: number): any;
  clearTimeout(id: any): void;
  /** Seconds since boot (never setTime()'d by the lock, so monotonic). */
  getTime(): number;
  storage: EspruinoStorage;
  /** require("net") / require("tls") connect; null on boards without networking. */
  connect: ((options: { host: string; port: number }, tls: boolean, onConnect: () => void) => EspruinoSocket) | null;
  /** Wi-Fi join (EspruinoWiFi or Wifi module); null when the board has none. */
  wifiConnect: ((ssid: string, options: { password: string }, cb: (err: any) => void) => void) | null;
  serial: { [name: string]: EspruinoSerial };
  hwRand(): number;
  /** Hardware watchdog kicked automatically from the idle loop (`E.enableWatchdog(s, true)`). */
  enableWatchdog(seconds: number): void;
  reboot(): void;
  print(text: string): void;
  convolve: ((a: any, b: any, offset: number) => number) | null;
  sha512: ((data: Uint8Array) => ArrayBuffer) | null;
  crc32: ((data: Uint8Array) => number) | null;
  /** A native strict Ed25519 verification (the Node simulator only; see Natives.ed25519Verify). */
  ed25519Verify?: ((msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => boolean) | null;
  /** A native Ed25519 signature with the lock's key (the Node simulator only; see Natives.ed25519Sign). */
  ed25519Sign?: ((msg: Uint8Array, seed: Uint8Array, pub: Uint8Array) => Uint8Array) | null;
  memory: (() => { usage: number; total: number }) | null;
}
