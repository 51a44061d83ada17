/**
 * kvmuf's public API for users' own files: handler strategies, properties, and the
 * pieces to compose and check a system from code.
 */
export { defineHandler, REG_FLAGS, REG_GFN, REG_TOKEN } from './vmm/strategy.ts';
export type { HandlerStrategy, HandlerThread } from './vmm/strategy.ts';
export type { Step, ThreadSpec } from './system/thread.ts';
export type { StepContext } from './system/step-context.ts';
export type { Environment } from './system/environment.ts';
export type { SystemConfig, DesignName, Backing, ControlPlan } from './system/config.ts';
export { sourceContent } from './system/config.ts';
export type { SystemState } from './system/state.ts';
export { composeSystem, systemModel } from './system/model.ts';
export { always, sometimes, eventually, leadsTo, check } from './checker/index.ts';
export { Errno, PAGE_SIZE } from './kvm/uapi.ts';
export { install, installed, isDiscarded } from './vmm/page-book.ts';
export { uffdReaderThread } from './vmm/uffd-reader.ts';
