/**
 * Prometheus metrics (served at /metrics). One registry per relay instance so several
 * relays can live in one test process.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface RelayMetrics {
  registry: Registry;
  authorizations: Counter<'kind' | 'outcome'>;
  entryLatency: Histogram<'method' | 'outcome'>;
  connectedLocks: Gauge;
  commands: Counter<'action' | 'purpose'>;
  commandResends: Counter;
  events: Counter<'type'>;
  clipsUploaded: Counter;
  clipMismatches: Counter;
  logAnomalies: Counter<'kind'>;
  webhookDeliveries: Counter<'outcome'>;
  webhookFailures: Counter;
  mqttRejections: Counter<'reason'>;
  httpRequests: Counter<'route' | 'status'>;
  busLockMessages: Counter<'kind' | 'outcome'>;
}

export function createMetrics(connectedLocks: () => number): RelayMetrics {
  const registry = new Registry();
  const r = [registry];
  return {
    registry,
    authorizations: new Counter({ name: 'keyway_authorizations_total', help: 'Entry authorizations decided by the relay', labelNames: ['kind', 'outcome'] as const, registers: r }),
    entryLatency: new Histogram({
      name: 'keyway_entry_latency_seconds', help: 'Entry request to lock answer', labelNames: ['method', 'outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r
    }),
    connectedLocks: new Gauge({ name: 'keyway_connected_locks', help: 'Locks connected to this relay process', registers: r, collect() { this.set(connectedLocks()); } }),
    commands: new Counter({ name: 'keyway_commands_total', help: 'Signed commands issued', labelNames: ['action', 'purpose'] as const, registers: r }),
    commandResends: new Counter({ name: 'keyway_command_resends_total', help: 'Outbox commands resent to a reconnected lock', registers: r }),
    events: new Counter({ name: 'keyway_lock_events_total', help: 'Lock events processed (exactly once across relays)', labelNames: ['type'] as const, registers: r }),
    clipsUploaded: new Counter({ name: 'keyway_clips_uploaded_total', help: 'Camera clips uploaded', registers: r }),
    clipMismatches: new Counter({ name: 'keyway_clip_mismatches_total', help: 'Camera clips whose frames do not match the lock log', registers: r }),
    logAnomalies: new Counter({ name: 'keyway_log_anomalies_total', help: 'Lock log gaps, breaks and rewinds', labelNames: ['kind'] as const, registers: r }),
    webhookDeliveries: new Counter({ name: 'keyway_webhook_deliveries_total', help: 'Webhook delivery attempts', labelNames: ['outcome'] as const, registers: r }),
    webhookFailures: new Counter({ name: 'keyway_webhook_failures_total', help: 'Webhook attempts that failed', registers: r }),
    mqttRejections: new Counter({ name: 'keyway_mqtt_rejections_total', help: 'MQTT connects, publishes and subscriptions refused', labelNames: ['reason'] as const, registers: r }),
    busLockMessages: new Counter({
      name: 'keyway_bus_lock_messages_total', help: 'Lock events and statuses another relay process handled, seen here on the message bus',
      labelNames: ['kind', 'outcome'] as const, registers: r
    }),
    httpRequests: new Counter({ name: 'keyway_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: r })
  };
}
