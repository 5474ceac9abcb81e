import { SnsServiceError } from "./types";

/** SNS's errors as the Query protocol sends them (the SDK raises InvalidParameterException, NotFoundException). */
export const invalidParameter = (m: string) =>
  new SnsServiceError("InvalidParameter", `Invalid parameter: ${m}`);
export const notFound = (m: string) => new SnsServiceError("NotFound", m, 404);
