/** Reference handlers with a background prefetcher racing the demand faults. */
import { exitOnMissingHandler } from './exit-on-missing.ts';
import { kvmUserfaultHandler } from './kvm-userfault.ts';
import { prefetcherThread } from './prefetcher.ts';
import { defineHandler, type HandlerStrategy } from './strategy.ts';
import { uffdHandler } from './uffd-only.ts';

function withPrefetcher(base: HandlerStrategy): HandlerStrategy {
  return defineHandler({
    ...base,
    name: `${base.name}+prefetch`,
    description: `${base.description}; plus a background prefetcher`,
    threads: (env) => [...(base.threads?.(env) ?? []), prefetcherThread()],
  });
}

export const kvmUserfaultPrefetchHandler = withPrefetcher(kvmUserfaultHandler);
export const uffdPrefetchHandler = withPrefetcher(uffdHandler);
export const exitOnMissingPrefetchHandler = withPrefetcher(exitOnMissingHandler);
