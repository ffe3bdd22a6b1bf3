/** `tessera demo` cannot start or could not finish; the message says why, in words for the operator. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}
