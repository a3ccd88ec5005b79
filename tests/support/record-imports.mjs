// Preloaded with `node --import`: records every module URL the process resolves into the file
// named by KEYWAY_IMPORT_LOG, so a test can prove which packages a command loads.
import { register } from 'node:module';

register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { log: process.env.KEYWAY_IMPORT_LOG } });
