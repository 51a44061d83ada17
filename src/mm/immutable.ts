/** Copy-on-write helpers for the plain-data kernel state. */

export function replaceAt<T>(items: readonly T[], index: number, value: T): readonly T[] {
  if (items[index] === value) return items;
  const copy = items.slice();
  copy[index] = value;
  return copy;
}

export function fillRange<T>(items: readonly T[], start: number, count: number, value: T): readonly T[] {
  let copy: T[] | undefined;
  for (let i = start; i < start + count; i++) {
    if (items[i] === value) continue;
    copy ??= items.slice();
    copy[i] = value;
  }
  return copy ?? items;
}

export function removeAt<T>(items: readonly T[], index: number): readonly T[] {
  return [...items.slice(0, index), ...items.slice(index + 1)];
}
