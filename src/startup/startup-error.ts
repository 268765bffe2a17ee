/** A startup failure the CLI reports as one line (exit 1), without a stack. */

export class StartupError extends Error {
  override name = 'StartupError';
}
