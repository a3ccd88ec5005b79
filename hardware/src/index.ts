/** @keyway/hardware: board profiles and the hardware simulator (plus Node adapters). */
export * from './sim/index';
export { BOARDS, board, validateBoard } from './boards';
export { createRealLoop, disposeLoop } from './node/real-loop';
export { nodeConnect, nodeSha512, type NodeNetOptions } from './node/node-net';
