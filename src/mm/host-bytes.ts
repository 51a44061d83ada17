/**
 * A sub-page store into the page mapped at a host virtual address, as the kernel makes
 * it through a kernel mapping or a user access whose fault has already been handled
 * (KVM's pvclock and steal-time writes): the page must be mapped; its content becomes
 * partial (page-content.ts) where the bytes land.
 */
import { PAGE_SIZE } from '../kvm/uapi.ts';
import { fileAt, findVma, vmaAt, type MmState } from './host-memory.ts';
import { replaceAt } from './immutable.ts';

/** The state after `update` rewrites the content of the file page mapped at `hva`. */
export function updateMappedPage(mm: MmState, hva: number, update: (content: number) => number): MmState {
  const vi = findVma(mm, hva);
  if (vi < 0) throw new RangeError(`no VMA at 0x${hva.toString(16)}`);
  const vma = vmaAt(mm, vi);
  const file = fileAt(mm, vma.file);
  const page = vma.fileOffset + Math.floor((hva - vma.start) / PAGE_SIZE);
  const content = update(file.pages[page] as number);
  return { ...mm, files: replaceAt(mm.files, vma.file, { ...file, pages: replaceAt(file.pages, page, content) }) };
}
