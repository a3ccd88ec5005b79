/**
 * The lock's relay address list from MQTT URLs (`--mqtt-url a,b,c`, or the relay's advertised
 * endpoint): the ordered broker addresses of its configuration and one TLS flag, checked against
 * what the lock accepts (docs/firmware.md#configuration-record) before anything is sent.
 */
import { MAX_BROKERS, MAX_BROKER_HOST, type BrokerAddress } from '@keyway/firmware';
import { CliError } from '../cli-error';

export const MQTT_DEFAULT_PORT = 1883;
export const MQTTS_DEFAULT_PORT = 8883;

export interface BrokerList {
  brokers: BrokerAddress[];
  tls: boolean;
  /** The URLs as given, for messages. */
  urls: string[];
}

/** Splits a comma-separated list of MQTT URLs. */
export function splitUrls(value: string): string[] {
  return value.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

export function brokerList(urls: readonly string[]): BrokerList {
  if (urls.length === 0) throw new CliError('KW_USAGE', 'no MQTT address for the lock');
  if (urls.length > MAX_BROKERS) throw new CliError('KW_USAGE', 'a lock holds at most ' + MAX_BROKERS + ' MQTT addresses, got ' + urls.length);
  const enc = new TextEncoder();
  let tls: boolean | null = null;
  const brokers = urls.map((url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new CliError('KW_USAGE', 'not an MQTT URL: "' + url + '"');
    }
    const secure = u.protocol === 'mqtts:' || u.protocol === 'tls:';
    if (!secure && u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') throw new CliError('KW_USAGE', 'not an MQTT URL (mqtt:// or mqtts://): "' + url + '"');
    if (tls !== null && tls !== secure) throw new CliError('KW_USAGE', 'MQTT addresses must all use TLS or all not: "' + url + '"');
    tls = secure;
    const host = enc.encode(u.hostname.replace(/^\[|\]$/g, ''));
    if (host.length === 0 || host.length > MAX_BROKER_HOST) throw new CliError('KW_USAGE', 'MQTT host must be 1..' + MAX_BROKER_HOST + ' bytes: "' + url + '"');
    const port = Number(u.port || (secure ? MQTTS_DEFAULT_PORT : MQTT_DEFAULT_PORT));
    return { host, port };
  });
  return { brokers, tls: tls === true, urls: [...urls] };
}
