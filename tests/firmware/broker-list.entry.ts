/**
 * Bundled to ES5 and run inside Duktape or Espruino: runs the address-list scenarios in
 * KW_SCENARIOS with the firmware's MQTT client and prints each trace line, then DONE.
 */
import { runBrokerScenario, type BrokerScenario } from './broker-list.scenario';

declare const KW_SCENARIOS: BrokerScenario[];
declare const console: { log(s: string): void };

for (let i = 0; i < KW_SCENARIOS.length; i++) {
  const t = runBrokerScenario(KW_SCENARIOS[i]);
  for (let j = 0; j < t.length; j++) console.log('S' + i + ' ' + t[j]);
}
console.log('DONE');
