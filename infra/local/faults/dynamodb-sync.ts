import type { DynamoFaultRule } from "../dynamo/faults";
import type { FaultService } from "./service";

/**
 * Keeps the store process's DynamoDB faults equal to the registry's: every
 * change pushes the `dynamodb` rules in force (in order; the last push wins).
 * `flush()` resolves once the latest change has reached the store, so a fault
 * answered 201 is in force for the very next request.
 */
export function syncDynamoFaults(
  faults: FaultService,
  push: (rules: DynamoFaultRule[]) => Promise<void>,
  onError: (error: unknown) => void,
): { flush(): Promise<void>; stop(): void } {
  let chain: Promise<void> = Promise.resolve();
  const sync = () => {
    chain = chain.then(() => {
      const rules = faults.list("dynamodb").map(({ id, operation, mode, probability, until }) => ({
        id,
        ...(operation !== undefined ? { operation } : {}),
        mode,
        probability,
        until,
      }));
      return push(rules).catch(onError);
    });
  };
  const stop = faults.onChange(sync);
  return { flush: () => chain, stop: () => void stop() };
}
