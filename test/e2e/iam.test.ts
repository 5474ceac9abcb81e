import { GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait";
import { Api, BUYER, order, SELLER } from "./client";
import { funded } from "./expect";
import { type LocalServer, startServer } from "./server";

/**
 * The local IAM end to end (infra/local/iam): the service runs as if the
 * stack lacked a grant (ESCROW_LOCAL_IAM_REVOKE) and the real handlers meet
 * AWS's refusal where they make the call — DynamoDB, SNS with its key, the
 * workflow invoking its tasks — and `/_local/iam` lists what was refused.
 * ESCROW_LOCAL_IAM=off lets the same calls through. These servers record
 * nothing for the least-privilege report (their refusals are on purpose).
 */
const NO_RECORD = { ESCROW_LOCAL_IAM_RECORD_DIR: "" };
const refusals = async (api: Api) =>
  (await api.call("GET", "/_local/iam", { token: null })).body as {
    mode: string;
    refusals: { principal: string; action: string; resource: string; message: string }[];
  };

describe("a function without a grant", () => {
  let server: LocalServer;
  let api: Api;
  beforeAll(async () => {
    server = await startServer({
      expectRefusals: true,
      env: {
        ...NO_RECORD,
        ESCROW_LOCAL_IAM_REVOKE: "ListEscrowEvents:dynamodb:Query,AddEvidence:kms:GenerateDataKey",
      },
    });
    api = new Api(server.url);
  });
  afterAll(() => server?.stop());

  it("is refused its DynamoDB query with AccessDenied, and the API answers 500", async () => {
    const escrow = await funded(api);
    const events = await api.call("GET", `/v1/escrows/${escrow.id}/events`);
    expect(events.status).toBe(500);
    const { mode, refusals: refused } = await refusals(api);
    expect(mode).toBe("enforce");
    expect(refused).toContainEqual(
      expect.objectContaining({
        principal: "ListEscrowEvents",
        action: "dynamodb:Query",
        resource: "arn:aws:dynamodb:us-east-1:000000000000:table/escrow-local",
        message: expect.stringMatching(
          /^User: arn:aws:sts::000000000000:assumed-role\/ListEscrowEventsRole\w+\/ListEscrowEventsFunction\w+ is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/escrow-local because no identity-based policy allows the dynamodb:Query action$/,
        ),
      }),
    );
  });

  it("is refused the topic's key when it publishes: the evidence is kept all the same (201)", async () => {
    const escrow = await funded(api);
    expect((await api.act(escrow.id, "delivery", { actorId: SELLER, carrier: "SF" })).status).toBe(202);
    expect((await api.act(escrow.id, "refund-request", { actorId: BUYER, reason: "broken" })).status).toBe(
      202,
    );
    const evidence = await api.call("POST", `/v1/escrows/${escrow.id}/evidence`, {
      body: { actorId: BUYER, text: "Photos of the damage." },
    });
    expect(evidence.status).toBe(201);
    const refused = (await refusals(api)).refusals.find((r) => r.principal === "AddEvidence");
    expect(refused).toMatchObject({ action: "kms:GenerateDataKey" });
    expect(refused?.resource).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\//);
  });
});

describe("a workflow whose role may not invoke its tasks", () => {
  const revoke = { ...NO_RECORD, ESCROW_LOCAL_IAM_REVOKE: "StateMachine:lambda:InvokeFunction" };

  it("fails the task with Lambda.AWSLambdaException before the function runs; with ESCROW_LOCAL_IAM=off it runs", async () => {
    const enforced = await startServer({ expectRefusals: true, env: revoke });
    const off = await startServer({ env: { ...revoke, ESCROW_LOCAL_IAM: "off" } });
    const sfn = new SFNClient({
      endpoint: enforced.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      const api = new Api(enforced.url);
      const created = await api.create(order());
      expect(created.status).toBe(201);
      const machine = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.[0]
        ?.stateMachineArn as string;
      const executionArn = `${machine.replace(":stateMachine:", ":execution:")}:${created.body.id}`;
      const failed = await waitFor(
        async () => {
          const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
          return history.events?.find((e) => e.type === "TaskFailed")?.taskFailedEventDetails;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: "the HoldFunds task to fail" },
      );
      expect(failed?.error).toBe("Lambda.AWSLambdaException");
      expect(failed?.cause).toMatch(
        /is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:HoldFunds\w+ because no identity-based policy allows the lambda:InvokeFunction action \(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException/,
      );
      expect((await api.get(created.body.id)).body.status).toBe("PENDING_FUNDS");
      expect((await refusals(api)).refusals.map((r) => r.principal)).toContain("StateMachine");

      const offApi = new Api(off.url);
      expect((await refusals(offApi)).mode).toBe("off");
      await funded(offApi);
      expect((await refusals(offApi)).refusals).toEqual([]);
    } finally {
      sfn.destroy();
      await enforced.stop();
      await off.stop();
    }
  }, 90_000);
});
