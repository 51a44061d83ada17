/**
 * Byte access to the VMM's data regions: where userfault bitmaps live. An address outside
 * every data region is unmapped: a kernel read of it fails with EFAULT.
 */
import type { DataRegion, MmState } from './host-memory.ts';
import { replaceAt } from './immutable.ts';

function regionIndex(mm: MmState, address: number, len: number): number {
  for (let i = 0; i < mm.data.length; i++) {
    const r = mm.data[i] as DataRegion;
    if (address >= r.start && address + len <= r.start + r.length) return i;
  }
  return -1;
}

/** `len` bytes at `address`, or undefined if any of them is unmapped (get_user fails). */
export function readBytes(mm: MmState, address: number, len: number): number[] | undefined {
  const i = regionIndex(mm, address, len);
  if (i < 0) return undefined;
  const r = mm.data[i] as DataRegion;
  const out: number[] = [];
  for (let k = 0; k < len; k++) out.push(r.bytes[address - r.start + k] ?? 0);
  return out;
}

/** Store one byte; undefined if unmapped. */
export function writeByte(mm: MmState, address: number, value: number): MmState | undefined {
  const i = regionIndex(mm, address, 1);
  if (i < 0) return undefined;
  const r = mm.data[i] as DataRegion;
  const offset = address - r.start;
  let bytes = r.bytes;
  if (offset >= bytes.length) bytes = [...bytes, ...new Array<number>(offset + 1 - bytes.length).fill(0)];
  if (bytes[offset] === (value & 0xff)) return mm;
  const region: DataRegion = { ...r, bytes: replaceAt(bytes, offset, value & 0xff) };
  return { ...mm, data: replaceAt(mm.data, i, region) };
}

/** Bit `index` of a little-endian bitmap at `base` (the layout of a Linux `unsigned long` bitmap). */
export function bitAddress(base: number, index: number): { byte: number; bit: number } {
  return { byte: base + (index >> 3), bit: index & 7 };
}

/**
 * Read the `unsigned long` of a bitmap that holds bit `index`, as KVM does at fault time
 * (one __get_user of 8 bytes). Returns the bit, or undefined when the read faults.
 */
export function readBitmapBit(mm: MmState, base: number, index: number): boolean | undefined {
  const longAddress = base + Math.floor(index / 64) * 8;
  const long = readBytes(mm, longAddress, 8);
  if (!long) return undefined;
  const byte = long[(index & 63) >> 3] ?? 0;
  return ((byte >> (index & 7)) & 1) === 1;
}

/** Set or clear one bit with a single byte store; undefined if the byte is unmapped. */
export function storeBitmapBit(mm: MmState, base: number, index: number, value: boolean): MmState | undefined {
  const { byte, bit } = bitAddress(base, index);
  const current = readBytes(mm, byte, 1);
  if (!current) return undefined;
  const old = current[0] ?? 0;
  return writeByte(mm, byte, value ? old | (1 << bit) : old & ~(1 << bit));
}
