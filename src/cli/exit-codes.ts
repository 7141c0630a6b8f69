/** Process exit codes of every command: 0, 1, and the sysexits.h codes the commands document. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** EX_USAGE: a wrong option or argument. */
export const EXIT_USAGE = 64;
/** EX_DATAERR: an input is corrupt (a truncated gzip). */
export const EXIT_DATA = 65;
/** EX_NOINPUT: an input cannot be opened or read. */
export const EXIT_NO_INPUT = 66;
/** EX_CONFIG: the configuration is invalid. */
export const EXIT_CONFIG = 78;
/** EX_UNAVAILABLE: a service the command needs (OpenSearch) is unreachable or refused it. */
export const EXIT_UNAVAILABLE = 69;
/** EX_TEMPFAIL: a dependency is unavailable; running again later may succeed. */
export const EXIT_TEMPFAIL = 75;
