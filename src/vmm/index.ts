/** The bundled handler strategies, by name. */
import { ConfigError } from '../system/config-error.ts';
import type { DesignName } from '../system/config.ts';
import { asyncPfUserHandler } from './async-pf-user.ts';
import { demandPagingHandler } from './demand-paging.ts';
import { exitOnMissingHandler } from './exit-on-missing.ts';
import { gmemMinorHandler, gmemWriteNoContinueHandler } from './gmem-minor.ts';
import { asyncPfReadyFirstHandler, asyncPfWrongTokenHandler } from './flawed-async-pf-user.ts';
import { presentBeforeInstallHandler } from './flawed-demand-paging.ts';
import { bitmapByGfnHandler } from './flawed-memslots.ts';
import { clearBeforePopulateHandler, eexistIsFatalHandler, forgetsToClearHandler, ignoresRemoveHandler, noPopulateWriteHandler, noUffdReaderHandler, noWakeOnEexistHandler } from './flawed.ts';
import { populateOnRequestHandler } from './populate-on-request.ts';
import { exitOnMissingPrefetchHandler, kvmUserfaultPrefetchHandler, uffdPrefetchHandler } from './with-prefetcher.ts';
import { kvmUserfaultHandler } from './kvm-userfault.ts';
import type { HandlerStrategy } from './strategy.ts';
import { uffdHandler } from './uffd-only.ts';

/** The correct reference handler of each design. */
const REFERENCE: Partial<Record<DesignName, HandlerStrategy>> = {
  'kvm-userfault': kvmUserfaultHandler,
  uffd: uffdHandler,
  'exit-on-missing': exitOnMissingHandler,
  'demand-paging': demandPagingHandler,
  'async-pf-user': asyncPfUserHandler,
  'gmem-minor': gmemMinorHandler,
};

export const BUNDLED_HANDLERS: readonly HandlerStrategy[] = [
  kvmUserfaultHandler,
  uffdHandler,
  exitOnMissingHandler,
  kvmUserfaultPrefetchHandler,
  uffdPrefetchHandler,
  exitOnMissingPrefetchHandler,
  populateOnRequestHandler,
  clearBeforePopulateHandler,
  forgetsToClearHandler,
  noWakeOnEexistHandler,
  noUffdReaderHandler,
  eexistIsFatalHandler,
  ignoresRemoveHandler,
  bitmapByGfnHandler,
  noPopulateWriteHandler,
  demandPagingHandler,
  asyncPfUserHandler,
  presentBeforeInstallHandler,
  asyncPfWrongTokenHandler,
  asyncPfReadyFirstHandler,
  gmemMinorHandler,
  gmemWriteNoContinueHandler,
];

export function bundledHandlerFor(design: DesignName): HandlerStrategy {
  const h = REFERENCE[design];
  if (!h) throw new ConfigError('KVMUF108', `the ${design} design has no reference handler yet`, `designs with one: ${Object.keys(REFERENCE).join(', ')}`);
  return h;
}

export function bundledHandler(name: string): HandlerStrategy | undefined {
  return BUNDLED_HANDLERS.find((h) => h.name === name);
}

export type { HandlerStrategy } from './strategy.ts';
export { defineHandler, REG_FLAGS, REG_GFN, REG_TOKEN } from './strategy.ts';
