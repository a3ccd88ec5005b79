/**
 * Live updates for SSE streams (owner site streams, courier delivery streams). With several
 * relay processes (Redis), a message goes out on the internal bus topic `$kw/live` so every
 * process fans it out to the SSE clients it holds; lock clients can never subscribe to `$`
 * topics. A single process has no one else to tell: it hands the message to its own streams,
 * and only when one of them listens (see liveBus).
 */
export const LIVE_TOPIC = '$kw/live';

export interface LiveMessage {
  /** e.g. site:12, delivery:7, owner:3 */
  topics: string[];
  event: string;
  data: unknown;
}

export type LiveListener = (event: string, data: unknown) => void;

export class LiveHub {
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private closers = new Set<() => void>();

  /** `shared`: the bus carries messages to other relay processes (liveBus), so someone may listen anywhere. */
  constructor(private readonly bus: (msg: LiveMessage) => void, private readonly shared = false) {}

  emit(topics: string[], event: string, data: unknown): void {
    if (topics.length > 0) this.bus({ topics, event, data });
  }

  /** Whether a stream in this process listens to any of these topics. */
  listening(topics: string[]): boolean {
    return topics.some((t) => this.listeners.has(t));
  }

  /**
   * Whether a message to these topics can reach a stream: one of this process's, or any when the
   * bus is shared. Work done only to show it (looking up names) can be skipped otherwise.
   */
  wanted(topics: string[]): boolean {
    return this.shared || this.listening(topics);
  }

  /** Called for every message that arrives on the bus (from any relay process). */
  deliver(msg: LiveMessage): void {
    const seen = new Set<LiveListener>();
    for (const t of msg.topics) {
      for (const l of this.listeners.get(t) ?? []) {
        if (seen.has(l)) continue;
        seen.add(l);
        l(msg.event, msg.data);
      }
    }
  }

  subscribe(topics: string[], listener: LiveListener, onClose: () => void): () => void {
    for (const t of topics) {
      let set = this.listeners.get(t);
      if (!set) this.listeners.set(t, (set = new Set()));
      set.add(listener);
    }
    this.closers.add(onClose);
    return () => {
      this.closers.delete(onClose);
      for (const t of topics) {
        const set = this.listeners.get(t);
        set?.delete(listener);
        if (set && set.size === 0) this.listeners.delete(t);
      }
    };
  }

  /** Ends every open stream (shutdown). */
  closeAll(): void {
    const closers = [...this.closers];
    this.closers = new Set();
    for (const c of closers) c();
  }
}

/**
 * The bus a LiveHub emits on: `publish` (the broker's `$kw/live`) when other relay processes
 * share the broker, else straight back to this process's own `hub`. Both run after the
 * current step (the emitting transaction has committed), and a local message goes through
 * JSON as a published one does, so a stream sees the same data either way; with no stream
 * listening to its topics, a local message costs nothing more.
 */
export function liveBus(shared: boolean, hub: () => LiveHub | null, publish: (payload: Buffer) => void): (msg: LiveMessage) => void {
  return (msg) => {
    setImmediate(() => {
      if (shared) {
        publish(Buffer.from(JSON.stringify(msg)));
        return;
      }
      const h = hub();
      if (h && h.listening(msg.topics)) h.deliver(JSON.parse(JSON.stringify(msg)) as LiveMessage);
    });
  };
}
