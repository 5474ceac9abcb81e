import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through proxy in front of the local DynamoDB that counts what the
 * handlers really ask for: requests per operation and the capacity units the
 * engine reports (ReturnConsumedCapacity, which the store always sets), plus
 * the global-secondary-index writes a request implies (DynamoDB bills them;
 * dynalite does not report them): a new item with index keys, or an update
 * that sets or removes index keys. The benchmark reads these figures.
 */
export interface MeterReading {
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  indexWriteUnits: number;
}

export class DynamoMeter {
  private reading: MeterReading = { requests: {}, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
  private server?: Server;
  endpoint = "";

  constructor(
    private readonly target: string,
    /** The partition-key attribute of each global secondary index. */
    private readonly indexKeyAttributes: readonly string[],
  ) {}

  read(): MeterReading {
    return structuredClone(this.reading);
  }

  reset(): void {
    this.reading = { requests: {}, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
  }

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      if (req.url?.startsWith("/__meter")) {
        if (req.method === "DELETE") this.reset();
        const body = JSON.stringify(this.read());
        res.writeHead(200, { "content-type": "application/json" }).end(body);
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const op = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "unknown";
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (up) => {
            const out: Buffer[] = [];
            up.on("data", (c: Buffer) => out.push(c));
            up.on("end", () => {
              const answer = Buffer.concat(out);
              if ((up.statusCode ?? 500) < 300) this.count(op, body, answer);
              res.writeHead(up.statusCode ?? 500, up.headers);
              res.end(answer);
            });
          },
        );
        upstream.on("error", (e) => {
          res.writeHead(502);
          res.end(String(e));
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  private count(op: string, body: Buffer, answer: Buffer) {
    this.reading.requests[op] = (this.reading.requests[op] ?? 0) + 1;
    let input: { Item?: Record<string, unknown>; UpdateExpression?: unknown };
    let output: { ConsumedCapacity?: unknown };
    try {
      input = JSON.parse(body.toString("utf8") || "{}");
      output = JSON.parse(answer.toString("utf8") || "{}");
    } catch {
      return;
    }
    type Consumed = { CapacityUnits?: number; Table?: { CapacityUnits?: number } };
    const consumed = ([] as Consumed[]).concat((output.ConsumedCapacity ?? []) as Consumed | Consumed[]);
    const units = consumed.reduce(
      (sum, c) => sum + Number(c?.CapacityUnits ?? c?.Table?.CapacityUnits ?? 0),
      0,
    );
    const isWrite = op === "PutItem" || op === "UpdateItem" || op === "DeleteItem" || op === "BatchWriteItem";
    if (isWrite) this.reading.writeUnits += units;
    else this.reading.readUnits += units;
    if (op === "PutItem" && input.Item) {
      // A new item adds one entry to each index whose key it carries.
      const item = input.Item;
      this.reading.indexWriteUnits += this.indexKeyAttributes.filter((a) => a in item).length;
    }
    const expression = input.UpdateExpression;
    if (op === "UpdateItem" && typeof expression === "string") {
      const touched = this.indexKeyAttributes.filter((a) => new RegExp(`\\b${a}\\b`).test(expression));
      this.reading.indexWriteUnits += touched.length;
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
