/** The board profiles in hardware/boards/*.json, validated on load. */
import type { BoardProfile } from '@keyway/firmware';
import espruinoWifi from '../boards/espruino-wifi.json' with { type: 'json' };
import espruinoWifiParcelbox from '../boards/espruino-wifi-parcelbox.json' with { type: 'json' };
import esp32 from '../boards/esp32.json' with { type: 'json' };
import mdbt42q from '../boards/mdbt42q.json' with { type: 'json' };

const PIN_ROLES = ['motorA', 'motorB', 'motorPwm', 'motorCurrent', 'boltLocked', 'boltUnlocked', 'door', 'button',
  'cameraTrigger', 'cameraAck', 'buzzer', 'led', 'battery'] as const;

export const BOARDS: Record<string, BoardProfile> = {};
for (const b of [espruinoWifi, espruinoWifiParcelbox, esp32, mdbt42q] as BoardProfile[]) BOARDS[b.id] = validateBoard(b);

export function validateBoard(b: BoardProfile): BoardProfile {
  const used = new Map<string, string>();
  for (const role of PIN_ROLES) {
    const pin = b.pins[role];
    if (typeof pin !== 'string' || pin.length === 0) throw new Error('BOARD_INVALID: ' + b.id + ' has no pin for ' + role);
    if (used.has(pin)) throw new Error('BOARD_INVALID: ' + b.id + ' uses ' + pin + ' for both ' + used.get(pin) + ' and ' + role);
    used.set(pin, role);
  }
  if (b.barcodeSerial && (!b.pins.barcodeRx || !b.pins.barcodeTx)) throw new Error('BOARD_INVALID: ' + b.id + ' barcode serial without pins');
  if (b.cameraSerial && (!b.pins.cameraRx || !b.pins.cameraTx)) throw new Error('BOARD_INVALID: ' + b.id + ' camera serial without pins');
  if (!(b.currentScale > 0) || !(b.batteryScale > 0) || !(b.variables > 0)) throw new Error('BOARD_INVALID: ' + b.id + ' scales');
  return b;
}

export function board(id: string): BoardProfile {
  const b = BOARDS[id];
  if (!b) throw new Error('BOARD_UNKNOWN: no board profile "' + id + '" (known: ' + Object.keys(BOARDS).join(', ') + ')');
  return b;
}
