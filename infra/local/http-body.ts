import type { IncomingMessage } from "node:http";

/**
 * Reads a request body, refusing more than `limit` bytes: the request is
 * destroyed and the promise rejects with the error `tooLarge` makes, which
 * each endpoint shapes the way the service it stands in for would.
 */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
