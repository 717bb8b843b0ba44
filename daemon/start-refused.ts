/**
 * A start the daemon refuses for a reason the operator can act on (the data directory or a port is
 * taken): said in one line, in the log and on stderr, without a stack trace, which would suggest a
 * bug where there is none. Anything else that stops a start is logged with its stack.
 */
export class StartRefused extends Error {
  override name = 'StartRefused';
}
