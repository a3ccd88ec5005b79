import { describe, expect, it } from 'vitest';
import {
  BOLT_FAULT, BOLT_JAMMED, BOLT_LOCKED, BOLT_LOCKING, BOLT_UNKNOWN, BOLT_UNLOCKED, BOLT_UNLOCKING, RC_BUSY, RC_JAM,
  RC_MOTOR_FAULT, RC_OK
} from '@keyway/shared';
import { SW_LOCKED, SW_UNLOCKED, initialBolt, isMoving, startMove, stepBolt, stopBolt } from '@keyway/firmware';

const T = { maxRunMs: 3000, stallMa: 900, stallMs: 80, reverseMs: 150, pauseMs: 400 };

describe('bolt state machine (pure)', () => {
  it('boots from the switches: locked, unlocked, in between, impossible', () => {
    expect(initialBolt(SW_LOCKED).phase).toBe(BOLT_LOCKED);
    expect(initialBolt(SW_UNLOCKED).phase).toBe(BOLT_UNLOCKED);
    expect(initialBolt(0).phase).toBe(BOLT_UNKNOWN);
    expect(initialBolt(SW_LOCKED | SW_UNLOCKED).phase).toBe(BOLT_FAULT);
  });

  it('does not drive when already at the target', () => {
    const b = initialBolt(SW_LOCKED);
    expect(startMove(b, 1, 0, SW_LOCKED)).toBe(RC_OK);
    expect(b.drive).toBe(0);
    expect(b.phase).toBe(BOLT_LOCKED);
  });

  it('unlocks: locked → unlocking → unlocked, motor off at the end', () => {
    const b = initialBolt(SW_LOCKED);
    startMove(b, -1, 0, SW_LOCKED);
    expect(b.phase).toBe(BOLT_UNLOCKING);
    expect(b.drive).toBe(-1);
    expect(stepBolt(b, 20, 0, 300, T).result).toBe(-1);
    const s = stepBolt(b, 700, SW_UNLOCKED, 300, T);
    expect(s.result).toBe(RC_OK);
    expect(b.phase).toBe(BOLT_UNLOCKED);
    expect(b.drive).toBe(0);
  });

  it('locks: unlocked → locking → locked', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    expect(b.phase).toBe(BOLT_LOCKING);
    expect(stepBolt(b, 700, SW_LOCKED, 300, T).result).toBe(RC_OK);
    expect(b.phase).toBe(BOLT_LOCKED);
  });

  it('refuses a second movement while moving', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    expect(startMove(b, -1, 10, 0)).toBe(RC_BUSY);
  });

  it('a short current spike is not a stall', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    stepBolt(b, 20, 0, 1200, T);
    stepBolt(b, 60, 0, 1200, T);
    stepBolt(b, 80, 0, 300, T);
    expect(b.backoff).toBe(0);
    expect(b.drive).toBe(1);
  });

  it('stall → reverse → pause → retry → success', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    stepBolt(b, 100, 0, 1400, T);
    stepBolt(b, 200, 0, 1400, T); // stalled for 100 ms ≥ 80
    expect(b.drive).toBe(-1);
    expect(b.backoff).toBe(1);
    stepBolt(b, 350, 0, 300, T); // reverse done → pause
    expect(b.drive).toBe(0);
    expect(b.backoff).toBe(2);
    stepBolt(b, 760, 0, 0, T); // pause done → retry
    expect(b.drive).toBe(1);
    expect(b.attempt).toBe(1);
    expect(stepBolt(b, 1500, SW_LOCKED, 300, T).result).toBe(RC_OK);
    expect(b.phase).toBe(BOLT_LOCKED);
  });

  it('two stalls → JAM, motor stopped', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    stepBolt(b, 100, 0, 1400, T);
    stepBolt(b, 200, 0, 1400, T);
    stepBolt(b, 350, 0, 300, T);
    stepBolt(b, 760, 0, 0, T);
    stepBolt(b, 800, 0, 1400, T);
    const s = stepBolt(b, 900, 0, 1400, T);
    expect(s.result).toBe(RC_JAM);
    expect(b.phase).toBe(BOLT_JAMMED);
    expect(b.drive).toBe(0);
    expect(isMoving(b)).toBe(false);
  });

  it('a run longer than maxRunMs counts as a stall even with normal current (timeout)', () => {
    const b = initialBolt(SW_LOCKED);
    startMove(b, -1, 0, SW_LOCKED);
    stepBolt(b, 3000, 0, 300, T);
    expect(b.backoff).toBe(1);
    stepBolt(b, 3200, 0, 300, T);
    stepBolt(b, 3700, 0, 0, T);
    expect(stepBolt(b, 6800, 0, 300, T).result).toBe(RC_JAM);
  });

  it('both switches closed while moving is a motor fault', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    expect(stepBolt(b, 20, SW_LOCKED | SW_UNLOCKED, 300, T).result).toBe(RC_MOTOR_FAULT);
    expect(b.phase).toBe(BOLT_FAULT);
    expect(b.drive).toBe(0);
  });

  it('a jammed bolt can be moved again', () => {
    const b = initialBolt(0);
    b.phase = BOLT_JAMMED;
    expect(startMove(b, -1, 0, 0)).toBe(RC_OK);
    expect(b.phase).toBe(BOLT_UNLOCKING);
  });

  it('stop aborts a movement and re-reads the switches', () => {
    const b = initialBolt(SW_UNLOCKED);
    startMove(b, 1, 0, SW_UNLOCKED);
    stopBolt(b, 0);
    expect(b.drive).toBe(0);
    expect(b.phase).toBe(BOLT_UNKNOWN);
  });
});
