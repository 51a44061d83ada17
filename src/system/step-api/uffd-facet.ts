/**
 * `c.uffd`: the handler's userfaultfd, one operation per call, with the kernel's result
 * shapes (fs/userfaultfd.c, Documentation/admin-guide/mm/userfaultfd.rst):
 * - COPY / ZEROPAGE / CONTINUE over a range of pages: `errno` (0 on success) and `bytes`,
 *   the struct's copy / zeropage / mapped field: bytes done (a short count comes with
 *   EAGAIN), or -errno when nothing was done.
 * - read(): up to `max` messages in one read(2) (the kernel fills the buffer with as many
 *   uffd_msg structs as are queued, faults before events); EAGAIN when none (O_NONBLOCK),
 *   or, for a blocking read, the step waits until a message is there.
 * - poll(): POLLIN when a message is queued; with an infinite timeout the step waits, with
 *   a finite one the step may run at any time and see 0 (the timeout expired).
 * - close(): the handler lets go of the fd (it exits, or dies): registered ranges become
 *   ordinary memory and sleeping faults retry. Other open copies of the fd (fork, SCM
 *   rights) are not modelled.
 */
import { gfnOf, hvaOf } from '../guest-layout.ts';
import { Errno, PAGE_SIZE, UFFDIO_COPY_MODE_DONTWAKE, UFFD_EVENT_PAGEFAULT, errnoName } from '../../kvm/uapi.ts';
import { uffdUnregister } from '../../mm/uffd-unregister.ts';
import { uffdClose, uffdFill, uffdRead, uffdReadable, uffdWake, type FillKind, type UffdMsg } from '../../mm/userfaultfd.ts';
import type { OpHost } from './op-host.ts';

export const POLLIN = 0x1;
export const POLLNVAL = 0x20;

export interface UffdIoResult {
  /** 0, or the errno of the ioctl. */
  readonly errno: number;
  /** The ioctl's copy / zeropage / mapped field: bytes done, or -errno when nothing was done. */
  readonly bytes: number;
}

export interface UffdRangeOptions {
  /** Base pages from `gfn` (default: one host page). A range must cover whole host pages (else EINVAL). */
  readonly pages?: number;
  /** Wake the threads waiting on the range (default true); false is *_MODE_DONTWAKE. */
  readonly wake?: boolean;
}

export interface UffdReadResult {
  /** 0, EAGAIN (nothing queued), or EBADF (the fd is closed). */
  readonly errno: number;
  readonly msgs: readonly UffdMsg[];
}

export class UffdFacet {
  constructor(private readonly h: OpHost) {}

  /** The userfaultfd's file descriptor (-1: this configuration registers none). */
  get fd(): number {
    return this.h.env.uffd;
  }

  /** Whether a read would find a message now (a look, not an operation). */
  readable(): boolean {
    return this.fd >= 0 && uffdReadable(this.h.kernel().mm, this.fd);
  }

  /** poll(2) for POLLIN: `'infinite'` waits until readable; a finite timeout may come back with 0. */
  poll(timeout: 'infinite' | 'finite'): number {
    const open = this.fd >= 0 && this.h.kernel().mm.uffds.some((u) => u.fd === this.fd && u.open);
    if (!open) {
      this.h.op('poll(uffd)');
      this.h.note('poll → POLLNVAL');
      return POLLNVAL;
    }
    const readable = this.readable();
    if (!readable && timeout === 'infinite') this.h.disable();
    this.h.op('poll(uffd)');
    this.h.note(readable ? 'poll → POLLIN' : 'poll → 0 (timed out)');
    return readable ? POLLIN : 0;
  }

  /** read(2) of up to `max` messages (default 1); `nonblock: false` waits for one. */
  read(options: { readonly max?: number; readonly nonblock?: boolean } = {}): UffdReadResult {
    const max = options.max ?? 1;
    if (!Number.isInteger(max) || max < 1) this.h.word('max', Number.NaN);
    if (options.nonblock === false && !this.readable() && this.fd >= 0) this.h.disable();
    this.h.op('read(uffd)');
    let mm = this.h.kernel().mm;
    const msgs: UffdMsg[] = [];
    let errno = 0;
    while (msgs.length < max) {
      const r = uffdRead(mm, this.fd);
      mm = r.mm;
      if (!r.msg) {
        if (msgs.length === 0) errno = r.result.errno;
        break;
      }
      msgs.push(r.msg);
    }
    this.h.setKernel({ ...this.h.kernel(), mm });
    this.h.note(`read → ${msgs.length > 0 ? msgs.map((m) => this.describe(m)).join(', ') : errnoName(errno)}`);
    return { errno, msgs };
  }

  copy(gfn: number, options: UffdRangeOptions & { readonly content?: number } = {}): UffdIoResult {
    return this.fill('copy', gfn, options, options.content);
  }

  zeropage(gfn: number, options: UffdRangeOptions = {}): UffdIoResult {
    return this.fill('zeropage', gfn, options, 0);
  }

  continue(gfn: number, options: UffdRangeOptions = {}): UffdIoResult {
    return this.fill('continue', gfn, options);
  }

  /** UFFDIO_WAKE of the range; 0 or errno. */
  wake(gfn: number, options: { readonly pages?: number } = {}): number {
    const n = this.range(gfn, options.pages, 'UFFDIO_WAKE');
    this.h.op('UFFDIO_WAKE');
    const r = uffdWake(this.h.kernel().mm, this.fd, this.hva(gfn), n * PAGE_SIZE);
    this.h.setKernel({ ...this.h.kernel(), mm: r.mm });
    this.h.note(`UFFDIO_WAKE gfn ${gfn}${n > 1 ? ` ×${n}` : ''} → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  /**
   * UFFDIO_UNREGISTER of `pages` pages from `gfn` (inside its memslot); without `pages`,
   * the guest mapping from `gfn` to its end (default: all of guest memory); 0 or errno.
   */
  unregister(gfn = this.h.env.config.gfns[0] ?? 0, options: { readonly pages?: number } = {}): number {
    this.h.page(gfn, 'UFFDIO_UNREGISTER');
    const n = options.pages === undefined ? this.h.env.config.gfns.length - (this.hva(gfn) - this.h.env.hva) / PAGE_SIZE : this.h.pages(gfn, options.pages, 'UFFDIO_UNREGISTER');
    this.h.op('UFFDIO_UNREGISTER');
    const r = uffdUnregister(this.h.kernel().mm, this.fd, this.hva(gfn), n * PAGE_SIZE);
    this.h.setKernel({ ...this.h.kernel(), mm: r.mm });
    this.h.note(`UFFDIO_UNREGISTER gfn ${gfn} ×${n} → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  /** close(2) of the userfaultfd; 0 or errno (EBADF: already closed). */
  close(): number {
    this.h.op('close(uffd)');
    const r = uffdClose(this.h.kernel().mm, this.fd);
    this.h.setKernel({ ...this.h.kernel(), mm: r.mm });
    this.h.note(`close(uffd) → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  private hva(gfn: number): number {
    return hvaOf(this.h.env, gfn);
  }

  private range(gfn: number, pages: number | undefined, what: string): number {
    return this.h.pages(gfn, pages ?? this.h.env.hostPagePages, what);
  }

  private fill(kind: FillKind, gfn: number, options: UffdRangeOptions, content?: number): UffdIoResult {
    const name = `UFFDIO_${kind.toUpperCase()}`;
    const n = this.range(gfn, options.pages, name);
    if (content !== undefined) this.h.word('content', content);
    const values = Array.from({ length: n }, (_, i) => content ?? this.h.fetch(gfn + i));
    const wake = options.wake ?? true;
    this.h.op(name);
    const r = uffdFill(this.h.kernel().mm, this.fd, kind, this.hva(gfn), n * PAGE_SIZE, wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE, values);
    this.h.setKernel({ ...this.h.kernel(), mm: r.mm });
    const errno = r.result.ret === 0 ? 0 : r.result.errno;
    // A zero-progress EAGAIN (mmap_changing) leaves the output field untouched on kernels
    // before the fix (UffdEagainField): the caller sees what it put there, 0 here.
    const untouched = errno === Errno.EAGAIN && r.done === -Errno.EAGAIN && this.h.kernel().config.variant.uffdEagainField === 'untouched';
    const bytes = untouched ? 0 : r.done;
    this.h.note(`${name}${wake ? '' : '(DONTWAKE)'} gfn ${gfn}${n > 1 ? ` ×${n}` : ''} → ${errno === 0 ? '0' : errnoName(errno)} (${bytes >= 0 ? `${bytes} bytes${untouched ? ', field untouched' : ''}` : `-${errnoName(-bytes)}`})`);
    return { errno, bytes };
  }

  private describe(m: UffdMsg): string {
    if (m.event === UFFD_EVENT_PAGEFAULT) return `fault at gfn ${gfnOf(this.h.env, m.address)}`;
    return `REMOVE gfn ${gfnOf(this.h.env, m.start)}..${gfnOf(this.h.env, m.end - PAGE_SIZE)}`;
  }
}
