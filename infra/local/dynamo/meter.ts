import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "../http-body";
import { CALLER_HEADER } from "../iam/caller";
import { dynamoAuthorizer } from "../iam/guards";
import { type IamMode, LocalIam } from "../iam/local-iam";
import type { IamModel } from "../iam/model";
import { recorderFromEnv } from "../iam/record";
import { type DynamoFaultRule, DynamoFaults } from "./faults";

/**
 * A pass-through proxy in front of the local DynamoDB, which the functions'
 * requests go through (`AWS_ENDPOINT_URL_DYNAMODB`). It counts what the
 * handlers really ask for: requests per operation and the capacity units the
 * engine reports (the proxy asks for them: see withCapacity), plus the
 * global-secondary-index writes a request implies (DynamoDB bills them;
 * dynalite does not report them): a new item with index keys, or an update
 * that sets or removes index keys. The benchmark reads these figures.
 *
 * It is also where injected DynamoDB faults happen (`/_local/faults`, see
 * faults.ts): the main process pushes the active rules with `PUT /__faults`.
 *
 * It is where the functions' DynamoDB calls meet the local IAM too (each
 * names its caller, infra/local/iam/caller.ts): the main process sends the
 * stack's policies with `PUT /__iam` before any function runs, and a call
 * the caller's role does not allow is answered with DynamoDB's
 * AccessDeniedException and never reaches the store.
 *
 * Its own routes: `GET /__meter` (the reading), `DELETE /__meter` (reset),
 * `PUT /__faults` (`{ rules }`), `GET /__faults`, `PUT /__iam` (`{ model,
 * mode }`), `GET /__iam` (the refusals).
 */
export interface MeterReading {
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  indexWriteUnits: number;
}

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);
/** The operations that can report the capacity they consumed. */
const REPORTS_CAPACITY = new Set([
  ...WRITES,
  "GetItem",
  "BatchGetItem",
  "Query",
  "Scan",
  "TransactGetItems",
  "TransactWriteItems",
]);

/**
 * The request as the proxy forwards it: one that can report its consumed
 * capacity asks for it (`ReturnConsumedCapacity: TOTAL`, unless it asks for
 * INDEXES itself), so that the functions never ask for it only to be metered
 * here. The local engines check no signature, so the body may change.
 */
export function withCapacity(op: string, body: Buffer): Buffer {
  if (!REPORTS_CAPACITY.has(op)) return body;
  try {
    const input = JSON.parse(body.toString("utf8") || "{}") as { ReturnConsumedCapacity?: string };
    if (input.ReturnConsumedCapacity === "TOTAL" || input.ReturnConsumedCapacity === "INDEXES") return body;
    return Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: "TOTAL" }));
  } catch {
    return body;
  }
}

export class DynamoMeter {
  private reading: MeterReading = { requests: {}, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
  private server?: Server;
  private iam?: LocalIam;
  private authorize?: ReturnType<typeof dynamoAuthorizer>;
  readonly faults: DynamoFaults;
  endpoint = "";

  constructor(
    private readonly target: string,
    /** The partition-key attribute of each global secondary index. */
    private readonly indexKeyAttributes: readonly string[],
    options: { now?: () => number; random?: () => number } = {},
  ) {
    this.faults = new DynamoFaults(options);
  }

  read(): MeterReading {
    return structuredClone(this.reading);
  }

  reset(): void {
    this.reading = { requests: {}, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith("/__meter")) {
        if (req.method === "DELETE") this.reset();
        const body = JSON.stringify(this.read());
        res.writeHead(200, { "content-type": "application/json" }).end(body);
        return;
      }
      if (req.url?.startsWith("/__faults")) {
        void this.serveFaults(req, res);
        return;
      }
      if (req.url?.startsWith("/__iam")) {
        void this.serveIam(req, res);
        return;
      }
      void this.forward(req, res);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async serveFaults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === "PUT") {
        const body = JSON.parse(
          (await readBody(req, 1024 * 1024, () => new Error("too large"))).toString("utf8"),
        ) as { rules?: DynamoFaultRule[] };
        this.faults.set(body.rules ?? []);
      }
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ rules: this.faults.list() }));
    } catch (error) {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ message: String(error) }));
    }
  }

  /** Enforces the stack's policies on the functions' calls from now on (`mode` off: checks nothing). */
  setIam(model: IamModel, mode: IamMode): void {
    const iam = new LocalIam(model, {
      mode,
      recorder: recorderFromEnv(),
      onRefusal: (r) => console.error(`[local] IAM refused ${r.principal}: ${r.message}`),
    });
    this.iam = iam;
    this.authorize = dynamoAuthorizer(
      iam,
      (name) => `arn:aws:dynamodb:${model.region}:${model.account}:table/${name}`,
    );
  }

  private async serveIam(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === "PUT") {
        const body = JSON.parse(
          (await readBody(req, 16 * 1024 * 1024, () => new Error("too large"))).toString("utf8"),
        ) as { model: IamModel; mode: IamMode };
        this.setIam(body.model, body.mode);
      }
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ mode: this.iam?.mode ?? "off", refusals: this.iam?.refusals() ?? [] }));
    } catch (error) {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ message: String(error) }));
    }
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 64 * 1024 * 1024, () => new Error("too large")).catch(() => undefined);
    if (!body) return;
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "unknown";
    // IAM decides before anything else: a refused call is neither metered nor seen by the store.
    const refused = this.authorize?.(req.headers, op, body);
    if (refused) {
      res.writeHead(refused.statusCode, refused.headers);
      res.end(refused.body);
      return;
    }
    const fault = this.faults.check(op);
    if (fault === "error") {
      // What DynamoDB answers when it fails transiently: the SDK retries it; the store never saw it.
      const answer = JSON.stringify({
        __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
        message: "Internal server error (injected fault)",
      });
      res.writeHead(500, {
        "content-type": "application/x-amz-json-1.0",
        "content-length": Buffer.byteLength(answer),
        "x-amzn-errortype": "InternalServerError",
      });
      res.end(answer);
      return;
    }
    const target = new URL(this.target);
    const forwarded = withCapacity(op, body);
    const { "transfer-encoding": _chunked, [CALLER_HEADER]: _caller, ...headers } = req.headers;
    headers["content-length"] = String(forwarded.length);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (up) => {
        const out: Buffer[] = [];
        up.on("data", (c: Buffer) => out.push(c));
        up.on("end", () => {
          const answer = Buffer.concat(out);
          if ((up.statusCode ?? 500) < 300) this.count(op, body, answer);
          if (fault === "ambiguous") {
            // The write took effect; its caller never learns it (the connection drops without an answer).
            res.socket?.destroy();
            return;
          }
          res.writeHead(up.statusCode ?? 500, up.headers);
          res.end(answer);
        });
      },
    );
    upstream.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    upstream.end(forwarded);
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
    if (WRITES.has(op)) this.reading.writeUnits += units;
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
}
