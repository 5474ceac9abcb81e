/**
 * The request carries no usable credentials. Only the API knows about tokens,
 * so this error lives here rather than among the domain's errors.
 */
export class UnauthorizedError extends Error {
  constructor(message = "A valid bearer token is required.") {
    super(message);
    this.name = "UnauthorizedError";
  }
}
