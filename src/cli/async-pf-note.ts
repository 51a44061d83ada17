/**
 * A one-line note for an async-pf-user run whose exits all stay synchronous: under the
 * default kernel variant (--async-pf-scope sw-protected, the RFC as posted, review M5)
 * only a KVM_X86_SW_PROTECTED_VM — the guest_memfd backing here — takes userfault exits
 * asynchronously; on any other backing the RFC falls back to the ordinary synchronous
 * exit. The run is legal and its verdict stands, but it says nothing about the
 * asynchronous path, which a reader of a PASS might otherwise assume was checked.
 */
import type { ResolvedConfig } from '../system/config.ts';

export function asyncPfScopeNote(cfg: ResolvedConfig): string | undefined {
  if (cfg.design !== 'async-pf-user' || cfg.asyncPfScope !== 'sw-protected' || cfg.backing === 'guest_memfd') return undefined;
  return `every userfault exit is synchronous: the RFC goes asynchronous only on KVM_X86_SW_PROTECTED_VM (--backing guest_memfd); --async-pf-scope any takes them asynchronously on ${cfg.backing} too`;
}
