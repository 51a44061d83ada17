/**
 * Bad input: an impossible configuration, a wrong flag value, a malformed handler file.
 * Carries a stable code and a hint; the CLI prints both and exits with status 2.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    /** More lines to print after the hint (e.g. the trace that reached a handler fault). */
    readonly detail?: string,
  ) {
    super(message);
  }
}
