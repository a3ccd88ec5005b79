/**
 * The Espruino-side pin simulator (hardware/src/sim/espruino-pin-simulator.ts) as one ES5 file
 * to store as `.boot0` beside the firmware. Only for boards on Espruino's Linux build: a real
 * board has real pins, and the simulator would replace them.
 */
import type { BoardProfile } from '@keyway/firmware';
import { bundleEs5 } from './es5-bundle';

/** The Storage file Espruino runs at boot before `.bootcde`. */
export const PIN_SIMULATOR_FILE = '.boot0';

export async function buildPinSimulator(board: BoardProfile): Promise<string> {
  if (board.espruinoBoard !== 'LINUX') throw new Error('the pin simulator is for the Espruino Linux build only, not ' + board.espruinoBoard);
  const b = await bundleEs5({ entry: 'hardware/src/sim/espruino-pin-simulator.ts', banner: 'var KEYWAY_SIM_BOARD=' + JSON.stringify(board) + ';' });
  return b.code;
}
