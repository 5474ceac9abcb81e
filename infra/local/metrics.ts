import type { StoreProcess } from "./dynamo/index";
import type { LocalLambdas } from "./lambdas";
import { type LocalListener, sendJson } from "./local-http";
import type { LocalModel } from "./template";

/**
 * `/_local/metrics` (local only): what the benchmark measures — function
 * durations and the DynamoDB requests and units the meter counted. `DELETE`
 * resets both.
 */
export function createMetricsListener(
  store: StoreProcess,
  lambdas: LocalLambdas,
  model: LocalModel,
): LocalListener {
  return async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/_local/metrics") return false;
    if (req.method === "DELETE") {
      await store.resetMeter();
      lambdas.resetStats();
      res.writeHead(204).end();
      return true;
    }
    const functions = Object.fromEntries(
      [...lambdas.stats].map(([id, s]) => [
        id,
        {
          invocations: s.invocations,
          errors: s.errors,
          totalMs: s.totalMs,
          initMs: s.initMs,
          durationsMs: s.durationsMs,
        },
      ]),
    );
    const memory = Object.fromEntries(model.functions.map((f) => [f.id, f.memoryMb]));
    sendJson(res, 200, {
      dynamodb: await store.meter(),
      functions,
      memoryMb: memory,
      stateMachineArn: model.stateMachine.arn,
      // The store itself, without the meter in between (the benchmark's raw put ceiling).
      dynamodbEndpoint: store.endpoint,
    });
    return true;
  };
}
