/**
 * The `kvmuf` command line. Until the checker and the composed systems land, `check`
 * says plainly that it is not built yet; every other word is a usage error.
 */
const USAGE = 'usage: kvmuf <check|list> [options]';

export async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'check':
      process.stdout.write(
        'kvmuf check: the explorer and the composed systems are not built yet (issues 3 and 5).\n' +
          'The kernel simulation is in src/kvm and src/mm; run `npm test` to check it.\n',
      );
      return 0;
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`error[KVMUF001]: unknown command '${command}'\nhint: ${USAGE}\n`);
      return 2;
  }
}
