/**
 * Content of a page at byte granularity, for the few pages that need it (partial pages,
 * issue 12 item 4): a page written in part by KVM (the 32-byte pvclock, M6) or by a guest
 * store at an offset holds a base value plus a short list of byte runs over it.
 *
 * Representation, and why: page content everywhere else is one small integer per base
 * page (host-memory.ts). A partial page is still one integer: an id at or above
 * PARTIAL_BASE naming a canonical {base, runs} (the base is the value of the page's last
 * byte; runs sorted by offset, disjoint, adjacent runs of one value merged, none equal to
 * the base). Ids are hash-consed, so
 * equal contents are the same integer and every existing `===` on content, the encoding
 * (encode.ts) and the handlers' single-value view keep working unchanged; a whole-page
 * store simply replaces the integer. States stay small: a page that is whole costs
 * nothing, a partial one one integer. The alternative, a fixed number of sub-blocks per
 * page, would need 128 blocks to resolve 32 bytes, or would blur a read at 0x123 into
 * KVM's bytes at 0x0.
 *
 * The intern table is per process and only ever grows. An id is PARTIAL_BASE plus a
 * 30-bit hash of the canonical content (linear probing past a taken id), so the same
 * content gets the same id in every run — the fingerprints in replay files include
 * content ids and are checked by another process — unless two contents of one run share
 * a hash (probability about n²/2^31 for n distinct partial contents), when the id depends
 * on which was met first. Nothing user-visible prints an id: describeContent() does.
 */
import { PAGE_SIZE } from '../kvm/uapi.ts';

export interface ByteRun {
  readonly offset: number;
  readonly len: number;
  readonly value: number;
}

export interface PartialContent {
  /** The value of every byte no run covers. */
  readonly base: number;
  readonly runs: readonly ByteRun[];
}

/** Content ids at or above this name a PartialContent (guest values stay far below). */
export const PARTIAL_BASE = 0x4000_0000;

const byKey = new Map<string, number>();
const byId = new Map<number, PartialContent>();
const ID_SPACE = 0x4000_0000;

export function isPartial(content: number): boolean {
  return content >= PARTIAL_BASE;
}

/** The content as base plus runs (a whole page has no runs). */
export function partialOf(content: number): PartialContent {
  if (!isPartial(content)) return { base: content, runs: [] };
  const p = byId.get(content);
  if (!p) throw new RangeError(`no partial content ${content}`);
  return p;
}

function intern(base: number, runs: readonly ByteRun[]): number {
  if (runs.length === 0) return base;
  const key = `${base}|${runs.map((r) => `${r.offset},${r.len},${r.value}`).join(';')}`;
  const known = byKey.get(key);
  if (known !== undefined) return known;
  let slot = hashText(key) % ID_SPACE;
  while (byId.has(PARTIAL_BASE + slot)) slot = (slot + 1) % ID_SPACE;
  const id = PARTIAL_BASE + slot;
  byId.set(id, Object.freeze({ base, runs: Object.freeze(runs.map((r) => Object.freeze({ ...r }))) }));
  byKey.set(key, id);
  return id;
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser. */
function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The byte values of the whole page as runs covering 0..PAGE_SIZE (base gaps included). */
function segments(p: PartialContent): ByteRun[] {
  const out: ByteRun[] = [];
  let at = 0;
  for (const r of p.runs) {
    if (r.offset > at) out.push({ offset: at, len: r.offset - at, value: p.base });
    out.push(r);
    at = r.offset + r.len;
  }
  if (at < PAGE_SIZE) out.push({ offset: at, len: PAGE_SIZE - at, value: p.base });
  return out;
}

/**
 * Canonical form of a page given as segments covering it in address order: adjacent
 * segments of one value merged, the base is the value of the page's last byte, and runs
 * are the segments of other values. Equal bytes give equal ids.
 */
function canonical(segs: readonly ByteRun[]): number {
  const merged: ByteRun[] = [];
  for (const s of segs) {
    if (s.len <= 0) continue;
    const last = merged.at(-1);
    if (last && last.value === s.value) merged[merged.length - 1] = { ...last, len: last.len + s.len };
    else merged.push(s);
  }
  const base = merged.at(-1)?.value ?? 0;
  return intern(base, merged.filter((s) => s.value !== base));
}

function checkRange(offset: number, len: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len < 1 || offset + len > PAGE_SIZE) {
    throw new RangeError(`byte range ${offset}+${len} is not inside a page`);
  }
}

/** The page after storing `value` into bytes offset..offset+len-1 (a store inside one page). */
export function storeBytes(content: number, offset: number, len: number, value: number): number {
  checkRange(offset, len);
  const p = partialOf(content);
  const end = offset + len;
  const segs: ByteRun[] = [];
  for (const s of segments(p)) {
    const sEnd = s.offset + s.len;
    if (sEnd <= offset || s.offset >= end) {
      segs.push(s);
      continue;
    }
    if (s.offset < offset) segs.push({ offset: s.offset, len: offset - s.offset, value: s.value });
    if (s.offset <= offset) segs.push({ offset, len, value });
    if (sEnd > end) segs.push({ offset: end, len: sEnd - end, value: s.value });
  }
  return canonical(segs);
}

/** The distinct values of bytes offset..offset+len-1, as runs in address order. */
export function loadBytes(content: number, offset: number, len: number): ByteRun[] {
  checkRange(offset, len);
  const end = offset + len;
  const out: ByteRun[] = [];
  for (const s of segments(partialOf(content))) {
    const from = Math.max(s.offset, offset);
    const to = Math.min(s.offset + s.len, end);
    if (from < to) out.push({ offset: from, len: to - from, value: s.value });
  }
  return out;
}

/** The value of one byte. */
export function byteAt(content: number, offset: number): number {
  return loadBytes(content, offset, 1)[0]?.value ?? content;
}

/**
 * The first byte of offset..offset+len-1 where `got` differs from `expected` (a byte whose
 * expected value is `wildcard` agrees with anything), or undefined if the range agrees.
 */
export function firstDifference(expected: number, got: number, offset: number, len: number, wildcard: number): number | undefined {
  if (expected === got) return undefined;
  const want = loadBytes(expected, offset, len);
  for (const w of want) {
    if (w.value === wildcard) continue;
    for (const g of loadBytes(got, w.offset, w.len)) if (g.value !== w.value) return g.offset;
  }
  return undefined;
}

/** For traces: `1`, or `0, 50 at 0x0..0x1f` for a partial page. */
export function describeContent(content: number): string {
  if (!isPartial(content)) return String(content);
  const p = partialOf(content);
  const runs = p.runs.map((r) => `${r.value} at 0x${r.offset.toString(16)}..0x${(r.offset + r.len - 1).toString(16)}`);
  return `${p.base}, ${runs.join(', ')}`;
}
