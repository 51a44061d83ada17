/**
 * Command lines that paste into any POSIX shell: words made only of characters no shell
 * treats specially stay bare; every other word is single-quoted (a single quote inside
 * becomes '\'' ), so `0/1|2` is an argument, not a pipe.
 */
const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  return BARE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
