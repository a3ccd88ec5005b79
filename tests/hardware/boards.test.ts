/**
 * Board profiles (hardware/boards/*.json) against what each board can actually do.
 *
 * CAPS below is a small per-board capability table taken from public documentation:
 *  - Espruino WiFi: espruino.com/WiFi (EspruinoDocs boards/WiFi.md) and Espruino's
 *    boards/ESPRUINOWIFI.py (header pins, LEDs, button, ESP8266 on A2/A3/A13/A14/A15, USB on
 *    A9/A11/A12, console on B6/B7 when USB is disconnected) with boards/pins/stm32f401.csv and
 *    stm32f401_af.csv (ADC1_IN0..9 on A0..A7/B0/B1, timers, USART1 on A9/B6 TX and A10/B7 RX).
 *  - ESP32: Espruino boards/ESP32.py and targets/esp32 (analogRead on ADC1 = GPIO32..39 only),
 *    ESP-IDF GPIO guide (strapping GPIO0/2/5/12/15, GPIO6..11 flash, GPIO34..39 input-only,
 *    UART0 on GPIO1/3 is the console; UART pins are routed through the GPIO matrix).
 *  - MDBT42Q: espruino.com/MDBT42Q (EspruinoDocs boards/MDBT42Q.md) and Espruino's
 *    boards/MDBT42Q.py (breakout headers, LED1 D1, LED2 D2, BTN D0, NFC D9/D10, D21 reset,
 *    ADC on D2..D5/D28..D31, console auto-selected on Serial1 D8/D6), nRF52832 PS.
 * The wiring documents (hardware/boards/<id>.md) explain each entry.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BoardPins, BoardProfile } from '@keyway/firmware';
import { BOARDS, board, validateBoard } from '@keyway/hardware';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOARDS_DIR = path.join(ROOT, 'hardware', 'boards');

type Role = keyof BoardPins;
const REQUIRED_ROLES: Role[] = ['motorA', 'motorB', 'motorPwm', 'motorCurrent', 'boltLocked', 'boltUnlocked', 'door', 'button',
  'cameraTrigger', 'cameraAck', 'buzzer', 'led', 'battery'];
const ALL_ROLES: Role[] = [...REQUIRED_ROLES, 'barcodeRx', 'barcodeTx', 'cameraRx', 'cameraTx'];
const OUTPUT_ROLES: Role[] = ['motorA', 'motorB', 'motorPwm', 'cameraTrigger', 'buzzer', 'led', 'barcodeTx', 'cameraTx'];
const ADC_ROLES: Role[] = ['motorCurrent', 'battery'];
const WATCHED_ROLES: Role[] = ['door', 'button', 'cameraAck'];
const BARCODE_ROLES: Role[] = ['barcodeRx', 'barcodeTx'];

interface UartCaps {
  rx: string[] | 'any';
  tx: string[] | 'any-output';
}

interface Caps {
  /** GPIO reachable on the board's headers or pads. */
  header: string[];
  /** Espruino names for on-board things. */
  aliases: Record<string, string>;
  /** On-board LEDs: usable for the `led` role only. */
  onboardLeds: string[];
  adc: string[];
  pwm: string[] | 'any-output';
  inputOnly: string[];
  /** Never use: taken by on-board peripherals, flash, USB, boot. */
  reserved: Record<string, string>;
  /** Strapping pins and the roles whose circuit keeps them at their boot level. */
  strapping: Record<string, Role[]>;
  uarts: Record<string, UartCaps>;
  /** The UART Espruino uses as its REPL by default, and its pins. */
  console: { uart: string; pins: string[] };
  /** STM32: one setWatch per pin number (EXTI line). */
  oneWatchPerPinNumber: boolean;
  /** Nominal analogRead() full scale, mV (ESP32: uncalibrated, see esp32.md). */
  adcFullScaleMv: number;
}

function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(prefix + i);
  return out;
}

const ESPRUINO_WIFI_HEADER = ['A0', 'A1', 'A4', 'A5', 'A6', 'A7', 'B0', 'B1', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10',
  'B13', 'B14', 'B15', 'A8', 'A10'];

const CAPS: Record<string, Caps> = {
  ESPRUINOWIFI: {
    header: ESPRUINO_WIFI_HEADER,
    aliases: { LED1: 'B2', LED2: 'B12', BTN1: 'C13', BTN: 'C13' },
    onboardLeds: ['B2', 'B12'],
    adc: ['A0', 'A1', 'A4', 'A5', 'A6', 'A7', 'B0', 'B1'],
    // "20 PWM": every header GPIO except A4 has a timer channel.
    pwm: ESPRUINO_WIFI_HEADER.filter((p) => p !== 'A4'),
    inputOnly: [],
    reserved: {
      A2: 'ESP8266 UART', A3: 'ESP8266 UART', A9: 'USB VBUS sense (not broken out)', A11: 'USB D-', A12: 'USB D+',
      A13: 'ESP8266 GPIO0 / SWDIO', A14: 'ESP8266 CH_PD / SWCLK', A15: 'ESP8266 CTS', C13: 'on-board button',
      C14: 'RTC crystal', C15: 'RTC crystal', H0: 'HSE crystal', H1: 'HSE crystal'
    },
    strapping: {},
    uarts: { Serial1: { rx: ['A10', 'B7'], tx: ['A9', 'B6'] } },
    console: { uart: 'Serial1', pins: ['B6', 'B7'] },
    oneWatchPerPinNumber: true,
    adcFullScaleMv: 3300
  },
  ESP32: {
    header: [...range('D', 0, 5), ...range('D', 12, 19), 'D21', 'D22', 'D23', 'D25', 'D26', 'D27', 'D32', 'D33', 'D34', 'D35', 'D36', 'D39'],
    aliases: { LED1: 'D2', BTN1: 'D0', BTN: 'D0' },
    onboardLeds: [],
    adc: ['D32', 'D33', 'D34', 'D35', 'D36', 'D39'],
    pwm: 'any-output',
    inputOnly: ['D34', 'D35', 'D36', 'D37', 'D38', 'D39'],
    reserved: {
      D0: 'boot button / strapping', D1: 'UART0 TX (console)', D3: 'UART0 RX (console)', D5: 'strapping',
      D6: 'SPI flash', D7: 'SPI flash', D8: 'SPI flash', D9: 'SPI flash', D10: 'SPI flash', D11: 'SPI flash',
      D12: 'strapping (flash voltage)', D15: 'strapping'
    },
    strapping: { D2: ['led'] },
    uarts: { Serial2: { rx: 'any', tx: 'any-output' }, Serial3: { rx: 'any', tx: 'any-output' } },
    console: { uart: 'Serial1', pins: ['D1', 'D3'] },
    oneWatchPerPinNumber: false,
    adcFullScaleMv: 3300
  },
  MDBT42Q: {
    header: ['D3', 'D4', 'D5', 'D11', ...range('D', 14, 20), 'D22', ...range('D', 25, 31), 'D6', 'D7', 'D8', 'D9', 'D10'],
    aliases: { LED1: 'D1', LED2: 'D2', BTN1: 'D0', BTN: 'D0' },
    onboardLeds: ['D1', 'D2'],
    adc: ['D2', 'D3', 'D4', 'D5', 'D28', 'D29', 'D30', 'D31'],
    pwm: 'any-output',
    inputOnly: [],
    reserved: { D0: 'on-board button (bootloader when high at power-on)', D9: 'NFC antenna', D10: 'NFC antenna', D21: 'reset' },
    strapping: {},
    uarts: { Serial1: { rx: 'any', tx: 'any-output' } },
    console: { uart: 'Serial1', pins: ['D6', 'D8'] },
    oneWatchPerPinNumber: false,
    adcFullScaleMv: 3300
  }
};

/** The reference lock I/O circuit every board document describes. */
const DESIGN = { shuntOhm: 0.05, ampGain: 20, dividerRatio: (200 + 100) / 100 };

interface Violation {
  key: string;
  kind: string;
  detail: string;
}

function capsFor(p: BoardProfile): Caps {
  const c = CAPS[p.espruinoBoard];
  if (!c) throw new Error('no capability table for ' + p.espruinoBoard + ' (add it to CAPS)');
  return c;
}

function resolve(c: Caps, pin: string): string {
  return c.aliases[pin] || pin;
}

function usedRoles(p: BoardProfile): Role[] {
  return ALL_ROLES.filter((r) => typeof p.pins[r] === 'string' && p.pins[r]!.length > 0);
}

/** Every rule this file enforces, as a list of violations (empty = clean). */
function audit(p: BoardProfile): Violation[] {
  const c = capsFor(p);
  const out: Violation[] = [];
  const add = (role: string, kind: string, detail: string) => out.push({ key: p.id + ':' + role + ':' + kind, kind, detail });
  const seen = new Map<string, Role>();
  for (const role of usedRoles(p)) {
    const name = p.pins[role]!;
    const pin = resolve(c, name);
    const prev = seen.get(pin);
    if (prev) add(role, 'duplicate', pin + ' is also ' + prev);
    seen.set(pin, role);
    if (ADC_ROLES.includes(role) && !c.adc.includes(pin)) add(role, 'not-adc', pin + ' has no ADC channel');
    if (OUTPUT_ROLES.includes(role) && c.inputOnly.includes(pin)) add(role, 'input-only', pin + ' cannot drive an output');
    if (role === 'motorPwm' && (c.pwm === 'any-output' ? c.inputOnly.includes(pin) : !c.pwm.includes(pin))) {
      add(role, 'not-pwm', pin + ' is not PWM-capable');
    }
    if (c.reserved[pin]) add(role, 'reserved', pin + ': ' + c.reserved[pin]);
    else if (c.onboardLeds.includes(pin)) {
      if (role !== 'led') add(role, 'onboard', pin + ' is an on-board LED');
    } else if (!c.header.includes(pin)) add(role, 'not-broken-out', pin + ' is not on a header');
    if (c.strapping[pin] && !c.strapping[pin].includes(role)) add(role, 'strapping', pin + ' is a strapping pin');
    if (!BARCODE_ROLES.includes(role) && c.console.pins.includes(pin)) add(role, 'console-pin', pin + ' carries the REPL console');
  }
  if (p.barcodeSerial) {
    const u = c.uarts[p.barcodeSerial];
    if (!u) add('barcodeSerial', 'uart-unknown', p.barcodeSerial + ' is not a usable UART on ' + p.espruinoBoard);
    else {
      const rx = p.pins.barcodeRx ? resolve(c, p.pins.barcodeRx) : '';
      const tx = p.pins.barcodeTx ? resolve(c, p.pins.barcodeTx) : '';
      if (u.rx !== 'any' && !u.rx.includes(rx)) add('barcodeRx', 'uart-pin', rx + ' is not ' + p.barcodeSerial + ' RX');
      if (u.tx === 'any-output' ? c.inputOnly.includes(tx) : !u.tx.includes(tx)) add('barcodeTx', 'uart-pin', tx + ' is not ' + p.barcodeSerial + ' TX');
    }
    // The firmware moves the console to the profile's `console` at boot (firmware/src/main.ts).
    if (p.barcodeSerial === c.console.uart && (!p.console || p.console === c.console.uart)) add('barcodeSerial', 'console-uart', p.barcodeSerial + ' is the default REPL console');
  }
  if (p.cameraSerial) {
    const u = c.uarts[p.cameraSerial];
    if (!u) add('cameraSerial', 'uart-unknown', p.cameraSerial + ' is not a usable UART on ' + p.espruinoBoard);
    else if (p.cameraSerial === p.barcodeSerial) add('cameraSerial', 'uart-shared', p.cameraSerial + ' is also the barcode reader\'s UART');
    else {
      const rx = p.pins.cameraRx ? resolve(c, p.pins.cameraRx) : '';
      const tx = p.pins.cameraTx ? resolve(c, p.pins.cameraTx) : '';
      if (u.rx !== 'any' && !u.rx.includes(rx)) add('cameraRx', 'uart-pin', rx + ' is not ' + p.cameraSerial + ' RX');
      if (u.tx === 'any-output' ? c.inputOnly.includes(tx) : !u.tx.includes(tx)) add('cameraTx', 'uart-pin', tx + ' is not ' + p.cameraSerial + ' TX');
    }
    if (p.cameraSerial === c.console.uart) add('cameraSerial', 'console-uart', p.cameraSerial + ' is the default REPL console');
  }
  if (c.oneWatchPerPinNumber) {
    const lines = new Map<string, Role>();
    for (const role of WATCHED_ROLES) {
      const line = resolve(c, p.pins[role] || '').replace(/^[A-Z]+/, '');
      const prev = lines.get(line);
      if (prev) add(role, 'exti', 'shares watch line ' + line + ' with ' + prev);
      lines.set(line, role);
    }
  }
  return out;
}

function kinds(p: BoardProfile, ...wanted: string[]): Violation[] {
  return audit(p).filter((v) => wanted.includes(v.kind));
}

const PLACEMENT_KINDS = ['reserved', 'onboard', 'not-broken-out', 'strapping', 'console-pin', 'console-uart'];

/**
 * Problems known in the current profiles, each described with its fix in the board's
 * document. The placement test requires this list to match exactly: a fix removes its entry
 * and a new problem fails the suite. (The first review's eight findings are fixed.)
 */
const KNOWN_PROBLEMS: Record<string, string> = {};

/** The fixes the board documents propose; the test checks they are clean themselves. */
const PROPOSED_FIXES: Record<string, Partial<BoardPins>> = {
  'espruino-wifi': { boltLocked: 'B10', boltUnlocked: 'B1' },
  'espruino-wifi-parcelbox': { boltLocked: 'B10', boltUnlocked: 'B1', barcodeTx: 'B6', barcodeRx: 'B7' },
  mdbt42q: { motorCurrent: 'D28', barcodeRx: 'D11', barcodeTx: 'D7' }
};

function readProfiles(): Record<string, BoardProfile> {
  const out: Record<string, BoardProfile> = {};
  const ids = readdirSync(BOARDS_DIR).filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, '')).sort();
  for (const id of ids) out[id] = JSON.parse(readFileSync(path.join(BOARDS_DIR, id + '.json'), 'utf8')) as BoardProfile;
  return out;
}

const PROFILES = readProfiles();
const IDS = Object.keys(PROFILES);

function clone(p: BoardProfile, pins?: Partial<BoardPins>): BoardProfile {
  const c = JSON.parse(JSON.stringify(p)) as BoardProfile;
  if (pins) Object.assign(c.pins, pins);
  return c;
}

function pinToken(pin: string): RegExp {
  return new RegExp('(^|[^A-Za-z0-9])' + pin + '([^A-Za-z0-9]|$)');
}

describe('board profiles load and validate', () => {
  it('finds the four reference profiles on disk', () => {
    expect(IDS).toEqual(expect.arrayContaining(['esp32', 'espruino-wifi', 'espruino-wifi-parcelbox', 'mdbt42q']));
  });

  it('every JSON file is registered in BOARDS under its own id, unchanged', () => {
    expect(Object.keys(BOARDS).sort()).toEqual(IDS);
    for (const id of IDS) {
      expect(PROFILES[id].id).toBe(id);
      expect(board(id)).toEqual(PROFILES[id]);
    }
  });

  it.each(IDS)('%s validates and has every required role and sane scales', (id) => {
    const p = PROFILES[id];
    expect(() => validateBoard(clone(p))).not.toThrow();
    for (const role of REQUIRED_ROLES) expect(typeof p.pins[role], role).toBe('string');
    expect(p.currentScale).toBeGreaterThan(0);
    expect(p.batteryScale).toBeGreaterThan(0);
    expect(p.variables).toBeGreaterThan(0);
    expect(p.inputsActiveLow).toBe(true);
  });

  it('validateBoard rejects broken profiles with a coded error', () => {
    const base = PROFILES['espruino-wifi'];
    const dup = clone(base, { button: base.pins.door });
    expect(() => validateBoard(dup)).toThrow(/^BOARD_INVALID: .*uses B8 for both door and button/);
    const missing = clone(base);
    delete (missing.pins as Partial<BoardPins>).battery;
    expect(() => validateBoard(missing)).toThrow(/^BOARD_INVALID: .*no pin for battery/);
    const noBarcodePins = clone(base);
    noBarcodePins.barcodeSerial = 'Serial1';
    expect(() => validateBoard(noBarcodePins)).toThrow(/^BOARD_INVALID: .*barcode/);
    const zeroScale = clone(base);
    zeroScale.currentScale = 0;
    expect(() => validateBoard(zeroScale)).toThrow(/^BOARD_INVALID/);
  });

  it("board('nope') throws BOARD_UNKNOWN naming the id and the known boards", () => {
    let err: unknown = null;
    try {
      board('nope');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^BOARD_UNKNOWN: /);
    expect(msg).toContain('"nope"');
    for (const id of IDS) expect(msg).toContain(id);
  });
});

describe('pin maps against board capabilities', () => {
  it('every board has a capability table', () => {
    for (const id of IDS) expect(CAPS[PROFILES[id].espruinoBoard], id).toBeDefined();
  });

  it.each(IDS)('%s: no pin is used twice (aliases such as LED2 resolved, barcode pins included)', (id) => {
    expect(kinds(PROFILES[id], 'duplicate')).toEqual([]);
  });

  it.each(IDS)('%s: motorCurrent and battery are on ADC-capable pins', (id) => {
    expect(kinds(PROFILES[id], 'not-adc')).toEqual([]);
  });

  it.each(IDS)('%s: outputs are not on input-only pins and motorPwm can do PWM', (id) => {
    expect(kinds(PROFILES[id], 'input-only', 'not-pwm')).toEqual([]);
  });

  it.each(IDS)('%s: barcode pins can carry the named UART', (id) => {
    expect(kinds(PROFILES[id], 'uart-unknown', 'uart-pin')).toEqual([]);
  });

  it.each(IDS)('%s: watched pins (door, button, ack) can all be watched at once', (id) => {
    expect(kinds(PROFILES[id], 'exti')).toEqual([]);
  });

  it('placement problems (reserved, on-board, not broken out, strapping, console) are exactly the documented ones', () => {
    const found = IDS.flatMap((id) => kinds(PROFILES[id], ...PLACEMENT_KINDS).map((v) => v.key)).sort();
    expect(found).toEqual(Object.keys(KNOWN_PROBLEMS).sort());
  });

  it('each known problem is described in its board document', () => {
    for (const key of Object.keys(KNOWN_PROBLEMS)) {
      const [id, role] = key.split(':');
      const doc = readFileSync(path.join(BOARDS_DIR, id + '.md'), 'utf8');
      const section = doc.slice(doc.indexOf('## Problems in the profile'));
      expect(section.length, id + '.md needs a "Problems in the profile" section').toBeGreaterThan(30);
      expect(section, key).toContain(role === 'barcodeSerial' ? 'console' : '`' + role + '`');
    }
  });

  it.each(Object.keys(PROPOSED_FIXES))('%s: the proposed fix is clean apart from firmware-side console handling', (id) => {
    const fixed = clone(PROFILES[id], PROPOSED_FIXES[id]);
    expect(() => validateBoard(fixed)).not.toThrow();
    expect(audit(fixed).filter((v) => v.kind !== 'console-uart')).toEqual([]);
  });

  it('the checks catch deliberately broken maps (they can fail)', () => {
    const esp = PROFILES.esp32;
    const bad = clone(esp, { motorCurrent: 'D26', motorA: 'D34', motorPwm: 'D39', cameraTrigger: 'D6', barcodeTx: 'D36', led: 'D12' });
    const got = audit(bad).map((v) => v.key);
    expect(got).toEqual(expect.arrayContaining([
      'esp32:motorCurrent:not-adc', 'esp32:motorCurrent:duplicate', 'esp32:motorA:input-only', 'esp32:motorPwm:not-pwm',
      'esp32:cameraTrigger:reserved', 'esp32:barcodeTx:uart-pin', 'esp32:led:reserved'
    ]));
    const wifi = clone(PROFILES['espruino-wifi'], { cameraAck: 'A8', cameraTrigger: 'B12', battery: 'B10', buzzer: 'A2' });
    const wifiGot = audit(wifi).map((v) => v.key);
    expect(wifiGot).toEqual(expect.arrayContaining([
      'espruino-wifi:cameraAck:exti', 'espruino-wifi:led:duplicate', 'espruino-wifi:cameraTrigger:onboard', 'espruino-wifi:battery:not-adc', 'espruino-wifi:buzzer:reserved'
    ]));
    const nrf = clone(PROFILES.mdbt42q, { door: 'D9', buzzer: 'D2' });
    expect(audit(nrf).map((v) => v.key)).toEqual(expect.arrayContaining(['mdbt42q:door:reserved', 'mdbt42q:buzzer:onboard']));
  });
});

describe('parcel box profiles', () => {
  const parcel = IDS.filter((id) => /parcel/i.test(id) || /parcel/i.test(PROFILES[id].name));

  it('there is at least one parcel-box profile', () => {
    expect(parcel.length).toBeGreaterThan(0);
  });

  it.each(parcel)('%s has a barcode UART with RX and TX pins and a baud rate', (id) => {
    const p = PROFILES[id];
    expect(p.barcodeSerial).toMatch(/^Serial\d$/);
    expect(p.barcodeBaud).toBeGreaterThan(0);
    expect(p.pins.barcodeRx).toBeTruthy();
    expect(p.pins.barcodeTx).toBeTruthy();
  });
});

describe('scales match the documented sense chain', () => {
  it.each(IDS)('%s: currentScale = full scale / (shunt x gain), batteryScale = full scale x divider', (id) => {
    const p = PROFILES[id];
    const fs = capsFor(p).adcFullScaleMv;
    const mvPerMa = DESIGN.shuntOhm * DESIGN.ampGain; // V per A == mV per mA
    expect(p.currentScale).toBeCloseTo(fs / mvPerMa, 6);
    expect(p.batteryScale).toBeCloseTo(fs * DESIGN.dividerRatio, 6);
  });
});

describe('wiring documents', () => {
  const readme = readFileSync(path.join(ROOT, 'hardware', 'README.md'), 'utf8');

  it.each(IDS)('%s.md exists and its wiring table has a row for every role naming the JSON pin', (id) => {
    const file = path.join(BOARDS_DIR, id + '.md');
    expect(existsSync(file), file).toBe(true);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().startsWith('|'));
    const p = PROFILES[id];
    for (const role of usedRoles(p)) {
      const pin = p.pins[role]!;
      const row = lines.find((l) => l.includes('`' + role + '`') && pinToken(pin).test(l));
      expect(row, id + '.md: no table row with `' + role + '` and ' + pin).toBeDefined();
    }
  });

  it.each(IDS)('%s.md states the profile scales it derives', (id) => {
    const doc = readFileSync(path.join(BOARDS_DIR, id + '.md'), 'utf8');
    const p = PROFILES[id];
    expect(doc).toMatch(new RegExp('currentScale`?\\s*=\\s*' + p.currentScale));
    expect(doc).toMatch(new RegExp('batteryScale`?\\s*=\\s*' + p.batteryScale));
  });

  it.each(IDS)('hardware/README.md links to boards/%s.md', (id) => {
    expect(readme).toContain('(boards/' + id + '.md)');
  });
});
