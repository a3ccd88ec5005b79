import { describe, expect, it } from 'vitest';
import { checkIdentity, checkPublish, checkSubscribe, checkWill } from '@keyway/relay';

const A = '0123456789abcdef';
const B = 'fedcba9876543210';

describe('lock MQTT access rules (docs/protocol.md §9)', () => {
  it('binds the client id to the username, which must be a device id', () => {
    expect(checkIdentity({ clientId: A, username: A, will: null })).toBeNull();
    expect(checkIdentity({ clientId: B, username: A, will: null })).toMatch(/client id/);
    expect(checkIdentity({ clientId: 'admin', username: 'admin', will: null })).toMatch(/device id/);
    expect(checkIdentity({ clientId: A.toUpperCase(), username: A.toUpperCase(), will: null })).toMatch(/device id/);
  });

  it('publishes only its own evt (not retained) and state', () => {
    expect(checkPublish(A, `kw/${A}/evt`, false)).toBeNull();
    expect(checkPublish(A, `kw/${A}/state`, true)).toBeNull();
    expect(checkPublish(A, `kw/${A}/evt`, true)).toMatch(/retained/);
    for (const t of [`kw/${B}/evt`, `kw/${B}/state`, `kw/${A}/cmd`, `kw/${B}/cmd`, '$SYS/x', 'kw', `kw/${A}/evt/x`, `kw/${A}/Evt`]) expect(checkPublish(A, t, false), t).not.toBeNull();
  });

  it('subscribes only to its own cmd', () => {
    expect(checkSubscribe(A, `kw/${A}/cmd`)).toBeNull();
    for (const t of ['#', 'kw/#', 'kw/+/cmd', `kw/${A}/#`, `kw/${A}/+`, `kw/${B}/cmd`, `kw/${A}/evt`, '$SYS/#', '$share/g/kw/+/cmd']) expect(checkSubscribe(A, t), t).not.toBeNull();
  });

  it('allows a will only on its own state topic', () => {
    expect(checkWill(A, null)).toBeNull();
    expect(checkWill(A, { topic: `kw/${A}/state`, retain: true })).toBeNull();
    for (const t of [`kw/${B}/state`, `kw/${A}/cmd`, `kw/${A}/evt`]) expect(checkWill(A, { topic: t })).not.toBeNull();
  });
});
