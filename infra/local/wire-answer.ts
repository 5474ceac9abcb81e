import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * The HTTP side of a local AWS endpoint (SNS, Step Functions): each shapes
 * its answers and its errors the way its own protocol does; sending them is
 * the same.
 */

/** An answer as the endpoint's protocol shapes it: status, headers and body text. */
export interface WireAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A Node request listener that answers every request. */
export type WireListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A listener that sends `answer`'s answer, or `failed`'s for what `answer` throws, with its `content-length`. */
export function wireListener(
  answer: (req: IncomingMessage) => Promise<WireAnswer>,
  failed: (error: unknown) => WireAnswer,
): WireListener {
  return async (req, res) => {
    let sent: WireAnswer;
    try {
      sent = await answer(req);
    } catch (error) {
      sent = failed(error);
    }
    res.writeHead(sent.statusCode, { ...sent.headers, "content-length": Buffer.byteLength(sent.body) });
    res.end(sent.body);
  };
}

/** An HTTP server (not yet listening) that hands every request to `listener`. */
export function wireServer(listener: WireListener): Server {
  return createServer((req, res) => {
    void listener(req, res);
  });
}
