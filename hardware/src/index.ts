/** @keyway/hardware: board profiles and the hardware simulator (plus Node adapters). */
export * from './sim/index';
export { BOARDS, board, validateBoard } from './boards';
export { createRealLoop, disposeLoop } from './node/real-loop';
export { nodeConnect, nodeSha512, type NodeNetOptions } from './node/node-net';
export { nodeEd25519Signer } from './node/native-signer';
export { SimRepl, type SimReplOptions } from './node/sim-repl';
export { JOURNAL_FOLD_MIN_BYTES, JOURNAL_FOLD_RATIO, journalFile, openFlashFile } from './node/flash-file';
export { startSimBoard, control as simBoardControl, type SimBoardOptions } from './node/sim-board';
export { startFleetLock, SYNC_SAMPLE_MS, type FleetLock, type FleetLockSpec, type FleetOptions } from './node/fleet';
export { DUP_MEMORY, createLinkTap, noteSync, overwriteObserver, tapSocket, type LinkTap, type JournalEntry, type SyncHistory } from './node/fleet-faults';
export { openCameraPort, type CameraPort } from './node/camera-port';
export type { CameraWire } from './node/fleet';
export { startCameraNode, CLIP_FRAMES, type CameraNode, type CameraNodeOptions } from './camera/camera-node';
export { renderDoorwayFrame, FRAME_HEIGHT, FRAME_WIDTH } from './camera/doorway-frame';
