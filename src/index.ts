/**
 * kvmuf's public API for users' own files: handler strategies, the constants steps use,
 * properties, and the pieces to compose and check a system from code.
 */
export { defineHandler, REG_FLAGS, REG_GFN, REG_TOKEN } from './vmm/strategy.ts';
export type { HandlerStrategy, HandlerThread } from './vmm/strategy.ts';
export type { Step, ThreadSpec } from './system/thread.ts';
export type { StepContext, Outcome } from './system/step-context.ts';
export type { Environment } from './system/environment.ts';
export type { SystemConfig, DesignName, Backing, ControlPlan } from './system/config.ts';
export { sourceContent } from './system/config.ts';
export { DONE, GIVEN_UP, VIOLATION } from './system/state.ts';
export { ABSENT, byteAt, PARTIAL_BASE, pageContent, pageExpected, threadFinished, threadRegister, vmmWord } from './system/state-accessors.ts';
export type { SystemState, ThreadState, Violation, ViolationCode, Panic } from './system/state.ts';
export { composeSystem, systemModel, type ComposeOptions, type System } from './system/model.ts';
export type { HandlerRuntimeOptions } from './system/handler-runtime.ts';
export { replayCounterexample, type ReplayVerdict } from './report/replay-counterexample.ts';
export { always, sometimes, eventually, leadsTo, check } from './checker/index.ts';
export type { CheckOptions, CheckResult, Property } from './checker/index.ts';
export {
  Errno,
  errnoName,
  PAGE_SIZE,
  UFFD_EVENT_PAGEFAULT,
  UFFD_EVENT_FORK,
  UFFD_EVENT_REMAP,
  UFFD_EVENT_REMOVE,
  UFFD_EVENT_UNMAP,
  UFFD_PAGEFAULT_FLAG_WRITE,
  UFFD_PAGEFAULT_FLAG_MINOR,
  KVM_MEMORY_EXIT_FLAG_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_USERFAULT,
  KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER,
  KVM_MEMORY_EXIT_FLAG_NOT_PRESENT,
} from './kvm/uapi.ts';
export type { UffdMsg } from './mm/userfaultfd.ts';
export { install, installed, isDiscarded } from './vmm/page-book.ts';
export { uffdReaderThread } from './vmm/uffd-reader.ts';
export { POLLIN, POLLNVAL } from './system/step-api/uffd-facet.ts';
export type { UffdFacet, UffdIoResult, UffdRangeOptions, UffdReadResult } from './system/step-api/uffd-facet.ts';
export type { MemoryFacet, Advice } from './system/step-api/memory-facet.ts';
export type { GmemFacet } from './system/step-api/gmem-facet.ts';
export type { BitmapFacet } from './system/step-api/bitmap-facet.ts';
export type { MemslotsFacet } from './system/step-api/memslots-facet.ts';
export type { DevicesFacet } from './system/step-api/devices-facet.ts';
export type { KvmFacet } from './system/step-api/kvm-facet.ts';
