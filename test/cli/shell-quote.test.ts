/** Printed command lines survive a POSIX shell: each word arrives as it was. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../src/cli/shell-quote.ts';

describe('shellQuote', () => {
  it('leaves plain words bare', () => {
    expect(shellCommand(['kvmuf', 'replay', '--handler', 'test/handlers/clear-first.ts', '--path', '0/0/1', '--its', '1,2'])).toBe(
      'kvmuf replay --handler test/handlers/clear-first.ts --path 0/0/1 --its 1,2',
    );
  });

  it('quotes a lasso path, so its | is not a pipe', () => {
    expect(shellQuote('0/0/0/1/1|0/0/1/1')).toBe("'0/0/0/1/1|0/0/1/1'");
  });

  it.each([['0/1|2'], ['my handler.ts'], ["it's.ts"], ['$HOME'], ['`id`'], ['*'], [''], ['a;b&c>d'], ['~/h.ts'], ['"x"'], ['\\n']])('%j reaches the program unchanged through sh -c', (word) => {
    const r = spawnSync('sh', ['-c', `printf '%s\\n' ${shellCommand([word, 'end'])}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(`${word}\nend\n`);
  });
});
