/** @keyway/hardware/sim: the portable hardware simulator (runs in Node and in duk). */
export { createVirtualLoop, type SimLoop } from './loop';
export { createPhysics, DEFAULT_PHYSICS, sync, setMotor, motorCurrentMa, switches, type Physics, type PhysicsOptions } from './physics';
export { createSimStorage, snapshotFiles, type SimStorage, type TearMode } from './storage';
export { createSimDevice, type SimDevice, type SimDeviceOptions, type SimSerial } from './device';
export { createSimulatedLock, type SimulatedLock, type SimulatedLockOptions } from './simulated-lock';
