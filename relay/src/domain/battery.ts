/**
 * Battery charge as people read it. Locks report their pack voltage in millivolts
 * (docs/protocol.md §7); the boards in hardware/ run on four AA cells, 6.0 V fresh and
 * useless around 4.4 V, and the firmware raises its low-battery flag at 4.6 V. Alkaline
 * discharge is close enough to linear over that range for a percentage shown rounded to 5.
 */
export const BATTERY_FULL_MV = 6000;
export const BATTERY_EMPTY_MV = 4400;
const PERCENT_STEP = 5;

export function batteryPercent(mv: number | null): number | null {
  if (mv === null || mv <= 0) return null;
  const raw = ((mv - BATTERY_EMPTY_MV) / (BATTERY_FULL_MV - BATTERY_EMPTY_MV)) * 100;
  return Math.max(0, Math.min(100, Math.round(raw / PERCENT_STEP) * PERCENT_STEP));
}
