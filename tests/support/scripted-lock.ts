/**
 * A lock at protocol level, for relay and end-to-end tests (docs/protocol.md). It speaks real
 * MQTT (MQTT.js) with its device credentials and last will, admits commands with shared's
 * admitCommand and strict verification (shared's strict checks + OpenSSL), keeps replay
 * state and a challenge nonce, stores grants and hash-chain credentials, and answers with a
 * correctly hash-chained event log that is queued while offline and flushed in order.
 *
 * Tests steer it: fail the camera, jam the bolt, swallow commands, open and close the door,
 * press the inside button, scan a barcode or a KW1 scan string, go offline gracefully or
 * not, and tamper with its log (gap, break, rewind).
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import {
  ACT_ALARM_CLEAR, ACT_GRANT_PUT, ACT_GRANT_REVOKE, ACT_KEY_ROTATE, ACT_LOCK, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLATCH, ACT_UNLOCK, ACTOR_AUTO, ACTOR_BUTTON,
  AL_CAMERA_FAULT, AL_JAM, BOLT_JAMMED, BOLT_LOCKED, BOLT_UNLOCKED, CRED_BARCODE, CRED_HASH_CHAIN, DOOR_CLOSED, DOOR_OPEN, EV_ACK, EV_ALARM,
  EV_BOOT, EV_CAMERA, EV_DENIAL, EV_OPERATION, EV_STATE, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, KIND_COMMAND, KIND_REVEAL, RC_BAD_CREDENTIAL,
  RC_BUSY, RC_CAMERA_FAILURE, RC_CLOCK_SKEW, RC_DOOR_OPEN, RC_JAM, RC_KEY_STORE_FULL, RC_LAST_KEY, RC_NO_TRUSTED_TIME, RC_NOT_PERMITTED, RC_OK,
  RC_REVOKED, RC_UNKNOWN_GRANT, RC_USES_EXHAUSTED, RC_WRONG_DEVICE, SRC_AUTO, SRC_BARCODE, SRC_BUTTON, SRC_COMMAND, SRC_REVEAL, ST_CAMERA_OK,
  ST_INSTALL_MODE, ST_JAMMED, ST_OWNER_CONSENT, ST_LOW_BATTERY, ST_TIME_TRUSTED, admitCommand, asciiBytes, checkSettings, barcodeCommitment, bytesEqual, chainStep, checkGrantTime, commandTopic, decodePayload,
  decodeReveal, encodeEvent, encodeStatus, eventTopic, fromHex, grantFingerprint, hash32, initialReplayState, isAcceptablePublicKey, keyIdOf, messageKind,
  offlineCodec, passesStrictChecks, stateTopic, toHex, type Grant, type LockEvent, type ReplayState, type SettingsPayload, type SignedCommand
} from '@keyway/shared';
import { nodeVerifyEd25519 } from '@keyway/shared/node';
import { randomBytes } from 'node:crypto';

export interface ScriptedLockOptions {
  url: string;
  deviceId: string;
  password: string;
  trustedKeys: { keyId: number; publicKey: string }[];
  /** The lock's clock source (ms); its own offset is added. Default Date.now. */
  now?: () => number;
  /** Start with trusted time (otherwise it waits for the relay's TIME_SET). */
  timeTrusted?: boolean;
  cameraHealthy?: boolean;
  firmware?: string;
  /** Extra MQTT.js options (e.g. { rejectUnauthorized: false } for mqtts). */
  mqtt?: Partial<IClientOptions>;
  clientId?: string;
}

export interface ReceivedCommand {
  counter: number;
  action: number;
  code: number;
  keyId: number;
  notBefore: number;
  notAfter: number;
  payload: any;
}

interface StoredGrant {
  grant: Grant;
  current: Uint8Array;
  uses: number;
  fingerprint: Uint8Array;
}

const verify = (m: Uint8Array, s: Uint8Array, p: Uint8Array) => passesStrictChecks(s, p) && nodeVerifyEd25519(m, s, p);

/** The firmware's default low-battery threshold (firmware/src/lock-state.ts). */
export const LOW_BATTERY_MV = 4600;

export class ScriptedLock {
  readonly deviceId: string;
  readonly id: Uint8Array;
  client: MqttClient | null = null;
  bolt = BOLT_LOCKED;
  door = DOOR_CLOSED;
  keys = new Map<number, Uint8Array>();
  replay: ReplayState = initialReplayState();
  nonce: Uint8Array = new Uint8Array(randomBytes(8));
  timeTrusted: boolean;
  clockOffsetMs = 0;
  grants = new Map<number, StoredGrant>();
  revoked: number[] = [];
  cameraOk: boolean;
  /** The clip hash a wired camera answers for a capture (docs/protocol.md §6.1); null: the CAMERA event has no hash. */
  cameraClip: ((capture: number) => Uint8Array | null) | null = null;
  jammed = false;
  /** The settings it holds (SETTINGS_SET); revision 0 = never configured. */
  settings: SettingsPayload = { revision: 0, autoLockS: 30, doorAjarS: 120, flags: 0 };
  get settingsRev(): number {
    return this.settings.revision;
  }
  /** Someone held the inside button: the status says install mode. */
  installMode = false;
  /** The status says owner-consent mode (docs/protocol.md §11.3); this lock does not implement it, it only reports it. */
  ownerConsent = false;
  /** The next N authentic commands are refused with BUSY (a refusal that passes with time). */
  busyFor = 0;
  /** The next bolt movement jams. */
  jamNext = false;
  /** Battery voltage in the status (millivolts); below LOW_BATTERY_MV the low-battery flag is set. */
  batteryMv = 5900;
  /** When false, commands and reveals are swallowed without any answer (relay times out). */
  answer = true;
  relockOnClose = false;
  /** Every event the lock logged, in order (seq = index + 1 unless tampered). */
  readonly log: { event: LockEvent; bytes: Uint8Array }[] = [];
  readonly commands: ReceivedCommand[] = [];
  readonly reveals: { grantId: number; code: number }[] = [];
  /** Every message that arrived on the command topic, answered or not. */
  readonly inbox: Uint8Array[] = [];
  private seq = 0;
  private head: Uint8Array = new Uint8Array(32);
  private unsent: Uint8Array[] = [];
  private flushing: Promise<void> | null = null;
  private work: Promise<void> = Promise.resolve();
  private listeners = new Set<() => void>();
  private tamper: 'none' | 'gap' | 'break' = 'none';

  constructor(public opts: ScriptedLockOptions) {
    this.deviceId = opts.deviceId;
    this.id = fromHex(opts.deviceId);
    for (const k of opts.trustedKeys) this.keys.set(k.keyId, fromHex(k.publicKey));
    this.timeTrusted = opts.timeTrusted ?? false;
    this.cameraOk = opts.cameraHealthy ?? true;
    this.emit(EV_BOOT, 0, 0, 0, 0, asciiBytes(opts.firmware ?? 'scripted-1'));
  }

  static async connect(opts: ScriptedLockOptions): Promise<ScriptedLock> {
    const lock = new ScriptedLock(opts);
    await lock.connect();
    return lock;
  }

  // ---- clock ----
  nowMs(): number {
    return (this.opts.now ?? Date.now)() + this.clockOffsetMs;
  }

  nowS(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  // ---- connection ----
  get online(): boolean {
    return !!this.client && this.client.connected;
  }

  async connect(password = this.opts.password): Promise<void> {
    const client = await connectAsync(this.opts.url, {
      clientId: this.opts.clientId ?? this.deviceId,
      username: this.deviceId,
      password,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      keepalive: 30,
      will: { topic: stateTopic(this.deviceId), payload: Buffer.from(offlineCodec.encode({ deviceId: this.id })), qos: 1, retain: true },
      ...this.opts.mqtt
    });
    this.client = client;
    client.on('message', (topic, payload) => {
      if (topic !== commandTopic(this.deviceId)) return;
      const bytes = new Uint8Array(payload);
      this.inbox.push(bytes);
      this.work = this.work.then(() => this.onMessage(bytes)).catch(() => undefined);
    });
    client.on('error', () => undefined);
    await client.subscribeAsync(commandTopic(this.deviceId), { qos: 1 });
    await this.publishStatus();
    this.flush();
  }

  /** Graceful disconnect (no will). */
  async disconnect(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync();
  }

  /** Connection lost: the broker publishes the will (offline marker). */
  async drop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (!c) return;
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    (c as unknown as { stream: { destroy(): void } }).stream.destroy();
    await closed;
    await c.endAsync(true).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.disconnect().catch(() => undefined);
  }

  // ---- status and events ----
  flags(): number {
    let f = 0;
    if (this.timeTrusted) f |= ST_TIME_TRUSTED;
    if (this.cameraOk) f |= ST_CAMERA_OK;
    if (this.jammed) f |= ST_JAMMED;
    if (this.installMode) f |= ST_INSTALL_MODE;
    if (this.ownerConsent) f |= ST_OWNER_CONSENT;
    if (this.batteryMv < LOW_BATTERY_MV) f |= ST_LOW_BATTERY;
    return f;
  }

  statusBytes(): Uint8Array {
    return encodeStatus({
      deviceId: this.id, bolt: this.bolt, door: this.door, flags: this.flags(), time: this.timeTrusted ? this.nowS() : 0, nonce: this.nonce,
      replayHigh: this.replay.high, logSeq: this.seq, logHead: this.head, battery: this.batteryMv, grants: this.grants.size, firmware: asciiBytes(this.opts.firmware ?? 'scripted-1'),
      keyIds: [...this.keys.keys()], held: [...this.grants].map(([grantId, g]) => ({ grantId, fingerprint: g.fingerprint })),
      settingsRev: this.settingsRev
    });
  }

  async publishStatus(): Promise<void> {
    if (!this.online) return;
    await this.client!.publishAsync(stateTopic(this.deviceId), Buffer.from(this.statusBytes()), { qos: 1, retain: true }).catch(() => undefined);
  }

  /** Appends a hash-chained event and sends it (queued while offline). */
  emit(type: number, code: number, ref: number, actorKind: number, actorRef: number, data: Uint8Array | number[]): LockEvent {
    if (this.tamper === 'gap') {
      this.seq++;
      this.tamper = 'none';
    }
    let prevHash = this.head;
    if (this.tamper === 'break') {
      prevHash = new Uint8Array(randomBytes(32));
      this.tamper = 'none';
    }
    const event: LockEvent = {
      deviceId: this.id, seq: ++this.seq, time: this.timeTrusted ? this.nowS() : 0, type, code, ref, actorKind, actorRef, prevHash,
      data: data instanceof Uint8Array ? data : new Uint8Array(data)
    };
    const bytes = encodeEvent(event);
    this.head = hash32(bytes);
    this.log.push({ event, bytes });
    this.unsent.push(bytes);
    this.flush();
    for (const l of [...this.listeners]) l();
    return event;
  }

  private flush(): void {
    if (this.flushing || !this.online) return;
    this.flushing = (async () => {
      while (this.unsent.length > 0 && this.online) {
        const bytes = this.unsent[0];
        try {
          await this.client!.publishAsync(eventTopic(this.deviceId), Buffer.from(bytes), { qos: 1 });
          this.unsent.shift();
        } catch {
          break;
        }
      }
    })().finally(() => {
      this.flushing = null;
      if (this.unsent.length > 0 && this.online) this.flush();
    });
  }

  /** Resolves when every logged event has been acknowledged by the broker. */
  async drained(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.unsent.length > 0 || this.flushing) {
      if (Date.now() > end) throw new Error('events not drained');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits for a logged event matching the predicate (already logged ones count). */
  waitForEvent(pred: (e: LockEvent) => boolean, timeoutMs = 5000): Promise<LockEvent> {
    const found = this.log.find((l) => pred(l.event));
    if (found) return Promise.resolve(found.event);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error('lock event not seen in ' + timeoutMs + ' ms'));
      }, timeoutMs);
      const check = () => {
        const hit = this.log.find((l) => pred(l.event));
        if (!hit) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(hit.event);
      };
      this.listeners.add(check);
    });
  }

  waitForCommand(pred: (c: ReceivedCommand) => boolean, timeoutMs = 5000): Promise<ReceivedCommand> {
    return this.waitForEvent((e) => e.type === EV_ACK && this.commands.some((c) => c.counter === e.ref && pred(c)), timeoutMs)
      .then((e) => this.commands.find((c) => c.counter === e.ref && pred(c))!);
  }

  // ---- tampering with the log (integrity tests) ----
  /** The next event skips a sequence number (deletion). */
  skipNextSeq(): void {
    this.tamper = 'gap';
  }

  /** The next event carries a wrong prevHash (reordering/editing). */
  breakNextLink(): void {
    this.tamper = 'break';
  }

  /** Re-sends an already logged sequence number with different content. */
  async rewind(seq: number): Promise<void> {
    const orig = this.log[seq - 1].event;
    const forged = encodeEvent({ ...orig, code: orig.code + 1 });
    await this.client!.publishAsync(eventTopic(this.deviceId), Buffer.from(forged), { qos: 1 });
  }

  // ---- the physical world ----
  alarm(code: number, ref = 0): void {
    this.emit(EV_ALARM, code, ref, 0, 0, []);
  }

  failCamera(fail = true): void {
    this.cameraOk = !fail;
    void this.publishStatus();
  }

  openDoor(): void {
    this.door = DOOR_OPEN;
    this.emit(EV_STATE, 0, 0, 0, 0, [this.bolt, this.door]);
    void this.publishStatus();
  }

  closeDoor(): void {
    this.door = DOOR_CLOSED;
    this.emit(EV_STATE, 0, 0, 0, 0, [this.bolt, this.door]);
    if (this.relockOnClose && this.bolt === BOLT_UNLOCKED) {
      this.relockOnClose = false;
      this.move(ACT_LOCK, SRC_AUTO, 0, ACTOR_AUTO, 0);
    }
    void this.publishStatus();
  }

  /** The lock's relock timer runs out with the door still closed: it relocks on its own. */
  relockTimeout(): void {
    if (this.bolt !== BOLT_UNLOCKED || this.door === DOOR_OPEN) return;
    this.relockOnClose = false;
    this.move(ACT_LOCK, SRC_AUTO, 0, ACTOR_AUTO, 0);
  }

  pressButton(): void {
    if (this.bolt === BOLT_LOCKED) this.move(ACT_UNLOCK, SRC_BUTTON, 0, ACTOR_BUTTON, 0);
    else this.move(ACT_LOCK, SRC_BUTTON, 0, ACTOR_BUTTON, 0);
  }

  /** A barcode or KW1 scan string presented to the lock's scanner. */
  scan(text: string): number {
    const m = /^KW1:(\d+):([0-9a-f]{64})$/.exec(text.trim());
    if (m) return this.reveal(Number(m[1]), fromHex(m[2]), SRC_BARCODE);
    const h = barcodeCommitment(this.id, text);
    for (const [id, g] of this.grants) {
      if (g.grant.credential.type === CRED_BARCODE && bytesEqual(g.grant.credential.commitment, h)) return this.reveal(id, h, SRC_BARCODE);
    }
    this.emit(EV_DENIAL, RC_BAD_CREDENTIAL, 0, 0, 0, [ACT_UNLOCK, SRC_BARCODE]);
    return RC_BAD_CREDENTIAL;
  }

  /** Moves the bolt (camera already handled); emits OPERATION and STATE; returns the result. */
  private move(action: number, source: number, ref: number, actorKind: number, actorRef: number): number {
    if (action === ACT_LOCK && this.door === DOOR_OPEN) return RC_DOOR_OPEN;
    if (this.jamNext) {
      this.jamNext = false;
      this.jammed = true;
      this.bolt = BOLT_JAMMED;
      this.alarm(AL_JAM);
      this.emit(EV_STATE, 0, 0, 0, 0, [this.bolt, this.door]);
      this.emit(EV_OPERATION, RC_JAM, ref, actorKind, actorRef, [action, source]);
      void this.publishStatus();
      return RC_JAM;
    }
    this.bolt = action === ACT_LOCK ? BOLT_LOCKED : BOLT_UNLOCKED;
    this.emit(EV_STATE, 0, 0, 0, 0, [this.bolt, this.door]);
    this.emit(EV_OPERATION, RC_OK, ref, actorKind, actorRef, [action, source]);
    void this.publishStatus();
    return RC_OK;
  }

  /** Camera trigger and acknowledgement: CAMERA event; fail-secure without it. */
  private evidence(ref: number, actorKind: number, actorRef: number): boolean {
    if (!this.cameraOk) {
      this.emit(EV_CAMERA, RC_CAMERA_FAILURE, this.seq + 1, actorKind, actorRef, []);
      this.alarm(AL_CAMERA_FAULT, ref);
      return false;
    }
    const capture = this.seq + 1;
    this.emit(EV_CAMERA, RC_OK, capture, actorKind, actorRef, (this.cameraClip && this.cameraClip(capture)) || []);
    return true;
  }

  private unlock(flags: number, source: number, ref: number, actorKind: number, actorRef: number, commit?: () => number): number {
    if ((flags & FLAG_CAMERA_REQUIRED) !== 0 && !this.evidence(ref, actorKind, actorRef)) return RC_CAMERA_FAILURE;
    if (commit) {
      const c = commit();
      if (c !== RC_OK) return c;
    }
    const r = this.move(ACT_UNLOCK, source, ref, actorKind, actorRef);
    if (r === RC_OK) this.relockOnClose = (flags & FLAG_RELOCK_ON_CLOSE) !== 0;
    return r;
  }

  // ---- what arrives on the command topic ----
  private async onMessage(bytes: Uint8Array): Promise<void> {
    if (!this.answer) return;
    const kind = messageKind(bytes);
    if (kind === KIND_REVEAL) {
      let r;
      try {
        r = decodeReveal(bytes);
      } catch {
        return;
      }
      if (!bytesEqual(r.deviceId, this.id)) {
        this.emit(EV_DENIAL, RC_WRONG_DEVICE, r.grantId, 0, 0, [ACT_UNLOCK, SRC_REVEAL]);
        return;
      }
      this.reveal(r.grantId, r.value, SRC_REVEAL);
      return;
    }
    if (kind !== KIND_COMMAND) return;
    this.admit(bytes);
    await this.publishStatus();
  }

  private reveal(grantId: number, value: Uint8Array, source: number): number {
    const deny = (code: number, actorKind = 0) => {
      this.reveals.push({ grantId, code });
      this.emit(EV_DENIAL, code, grantId, actorKind, 0, [ACT_UNLOCK, source]);
      return code;
    };
    if (this.revoked.includes(grantId)) return deny(RC_REVOKED);
    const g = this.grants.get(grantId);
    if (!g) return deny(RC_UNKNOWN_GRANT);
    const actorKind = g.grant.kind === 1 ? 2 : g.grant.kind === 2 ? 3 : g.grant.kind === 3 ? 4 : 9;
    if (!this.timeTrusted) return deny(RC_NO_TRUSTED_TIME, actorKind);
    const t = checkGrantTime(g.grant, this.nowS());
    if (t !== RC_OK) return deny(t, actorKind);
    if (g.grant.maxUses > 0 && g.uses >= g.grant.maxUses) return deny(RC_USES_EXHAUSTED, actorKind);
    const cred = g.grant.credential;
    const match = cred.type === CRED_HASH_CHAIN ? bytesEqual(chainStep(this.id, grantId, value), g.current) : cred.type === CRED_BARCODE && bytesEqual(value, cred.commitment);
    if (!match) return deny(RC_BAD_CREDENTIAL, actorKind);
    const r = this.unlock(g.grant.flags, source, grantId, actorKind, g.grant.actorRef, () => {
      if (cred.type === CRED_HASH_CHAIN) g.current = value;
      g.uses++;
      return RC_OK;
    });
    this.reveals.push({ grantId, code: r });
    if (r === RC_CAMERA_FAILURE) this.emit(EV_DENIAL, r, grantId, actorKind, 0, [ACT_UNLOCK, source]);
    return r;
  }

  /** Admits and runs a command but logs no ACK (as if the ACK were lost with a power cut). */
  applySilently(bytes: Uint8Array): number {
    const a = admitCommand(bytes, {
      deviceId: this.id, keyFor: (id) => this.keys.get(id) ?? null, now: this.nowS(), timeTrusted: this.timeTrusted, nonce: this.nonce, replay: this.replay
    }, verify);
    if (a.code !== RC_OK) return a.code;
    this.replay = a.replayNext!;
    return this.act(a.command!, decodePayload(a.command!.action, a.command!.payload));
  }

  private admit(bytes: Uint8Array): void {
    const a = admitCommand(bytes, {
      deviceId: this.id, keyFor: (id) => this.keys.get(id) ?? null, now: this.nowS(), timeTrusted: this.timeTrusted, nonce: this.nonce, replay: this.replay
    }, verify);
    const cmd = a.command;
    const record = (code: number, payload: unknown = null) => {
      if (cmd) this.commands.push({ counter: cmd.counter, action: cmd.action, code, keyId: cmd.keyId, notBefore: cmd.notBefore, notAfter: cmd.notAfter, payload });
    };
    if (a.code !== RC_OK) {
      record(a.code);
      this.emit(EV_ACK, a.code, cmd ? cmd.counter : 0, 0, 0, [cmd ? cmd.action : 0]);
      return;
    }
    if (this.busyFor > 0) {
      // Refused for a passing reason before anything is committed, as the firmware does while busy.
      this.busyFor--;
      record(RC_BUSY);
      this.emit(EV_ACK, RC_BUSY, cmd!.counter, 0, 0, [cmd!.action]);
      return;
    }
    this.replay = a.replayNext!;
    if (a.usedNonce) this.nonce = new Uint8Array(randomBytes(8));
    let payload: any;
    try {
      payload = decodePayload(cmd!.action, cmd!.payload);
    } catch {
      record(RC_NOT_PERMITTED);
      this.emit(EV_ACK, RC_NOT_PERMITTED, cmd!.counter, 0, 0, [cmd!.action]);
      return;
    }
    const code = this.act(cmd!, payload);
    record(code, payload);
    this.emit(EV_ACK, code, cmd!.counter, 0, 0, [cmd!.action]);
  }

  private act(cmd: SignedCommand, p: any): number {
    switch (cmd.action) {
      case ACT_UNLOCK:
      case ACT_UNLATCH: {
        if (p.grantId !== 0 && !this.grants.has(p.grantId)) return RC_UNKNOWN_GRANT;
        return this.unlock(p.flags, SRC_COMMAND, cmd.counter, p.actorKind, p.actorRef);
      }
      case ACT_LOCK:
        return this.move(ACT_LOCK, SRC_COMMAND, cmd.counter, p.actorKind, p.actorRef);
      case ACT_GRANT_PUT: {
        const g = p as Grant;
        if (this.revoked.includes(g.grantId)) return RC_REVOKED;
        this.grants.set(g.grantId, { grant: g, current: g.credential.commitment, uses: 0, fingerprint: grantFingerprint(cmd.payload) });
        return RC_OK;
      }
      case ACT_GRANT_REVOKE:
        this.grants.delete(p.grantId);
        if (!this.revoked.includes(p.grantId)) this.revoked.push(p.grantId);
        if (this.revoked.length > 32) this.revoked.shift();
        return RC_OK;
      case ACT_KEY_ROTATE: {
        if (keyIdOf(p.newKey) !== p.newKeyId || !isAcceptablePublicKey(p.newKey)) return RC_NOT_PERMITTED;
        if (!this.keys.has(p.newKeyId) && this.keys.size >= 4) return RC_KEY_STORE_FULL;
        const after = new Map(this.keys);
        after.set(p.newKeyId, p.newKey);
        if (p.retireKeyId !== 0) after.delete(p.retireKeyId);
        if (after.size === 0) return RC_LAST_KEY;
        this.keys = after;
        return RC_OK;
      }
      case ACT_TIME_SET: {
        const delta = p.time * 1000 - this.nowMs();
        if (this.timeTrusted && Math.abs(delta) > 3600_000) return RC_CLOCK_SKEW;
        this.clockOffsetMs += delta;
        this.timeTrusted = true;
        return RC_OK;
      }
      case ACT_ALARM_CLEAR:
        this.jammed = false;
        if (this.bolt === BOLT_JAMMED) this.bolt = BOLT_LOCKED;
        return RC_OK;
      case ACT_SETTINGS_SET: {
        const code = checkSettings(p as SettingsPayload, this.settings.revision);
        if (code === RC_OK) this.settings = { ...(p as SettingsPayload) };
        return code;
      }
      default:
        return RC_NOT_PERMITTED;
    }
  }

  /** The stored hash-chain position of a grant (for assertions). */
  grantCurrent(grantId: number): string | null {
    const g = this.grants.get(grantId);
    return g ? toHex(g.current) : null;
  }
}
