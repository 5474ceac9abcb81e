import { createServer } from "node:http";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoAccessDenied } from "../../../infra/local/iam/access-denied";
import { sfnAuthorizer, snsAuthorizer } from "../../../infra/local/iam/guards";
import { LocalIam } from "../../../infra/local/iam/local-iam";
import type { IamModel } from "../../../infra/local/iam/model";
import { handleSnsQueryRequest } from "../../../infra/local/sns/wire";
import { handleSfnJsonRequest } from "../../../infra/local/step-functions/wire";
import { closeServer, fakeCredentials, listen } from "../helpers";

/**
 * The refusals as the unmodified SDK clients read them: each service's own
 * exception (never retried), AWS's message, the status AWS sends.
 */
const TOPIC = "arn:aws:sns:us-east-1:000000000000:Events";
const KEY = "arn:aws:kms:us-east-1:000000000000:key/EventsKey";
const MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:M";
const principal = (id: string, statements: object[]) => ({
  id,
  roleArn: `arn:aws:iam::000000000000:role/${id}Role`,
  sessionArn: `arn:aws:sts::000000000000:assumed-role/${id}Role/${id}Function`,
  policies: [{ name: `${id}Access`, justifications: [], document: { Statement: statements as never } }],
});
const model: IamModel = {
  account: "000000000000",
  region: "us-east-1",
  principals: {
    Publisher: principal("Publisher", [{ Effect: "Allow", Action: "sns:Publish", Resource: TOPIC }]),
    Reader: principal("Reader", [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }]),
  },
  functionIds: {},
  invokePermissions: [],
  topicPolicies: {},
  topicKeys: { [TOPIC]: KEY },
  keyPolicies: {
    [KEY]: {
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::000000000000:root" },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
  },
  schedules: [],
};
const iam = new LocalIam(model, { mode: "enforce" });
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const target = String(req.headers["x-amz-target"] ?? "");
    let answer: { statusCode: number; headers: Record<string, string>; body: string };
    if (target.startsWith("DynamoDB_20120810."))
      answer = dynamoAccessDenied(
        iam.authorize(
          "Publisher",
          "dynamodb:GetItem",
          "arn:aws:dynamodb:us-east-1:000000000000:table/t",
        ) as string,
      );
    else if (target.startsWith("AWSStepFunctions."))
      answer = await handleSfnJsonRequest(
        {} as never,
        target,
        body,
        { authorize: sfnAuthorizer(iam, MACHINE) },
        req.headers,
      );
    else
      answer = await handleSnsQueryRequest({} as never, body, { authorize: snsAuthorizer(iam) }, req.headers);
    res.writeHead(answer.statusCode, answer.headers).end(answer.body);
  });
});
let endpoint: string;
const withCaller = <C extends { middlewareStack: { add: (...a: never[]) => void } }>(
  client: C,
  caller: string,
) => {
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(
    (next: (a: { request: { headers: Record<string, string> } }) => unknown) =>
      (args: { request: { headers: Record<string, string> } }) => {
        args.request.headers["x-escrow-local-caller"] = caller;
        return next(args);
      },
    { step: "build" },
  );
  return client;
};

beforeAll(async () => {
  endpoint = await listen(server);
});
afterAll(() => closeServer(server));

describe("the refusals on the wire", () => {
  const config = () => ({ endpoint, region: "us-east-1", credentials: fakeCredentials, maxAttempts: 3 });

  it("DynamoDB: 400 AccessDeniedException, not retried", async () => {
    requests = 0;
    const dynamo = new DynamoDBClient(config());
    const error = await dynamo
      .send(new GetItemCommand({ TableName: "t", Key: { PK: { S: "k" } } }))
      .catch((e) => e);
    expect(error).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    expect(error.message).toBe(
      "User: arn:aws:sts::000000000000:assumed-role/PublisherRole/PublisherFunction is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/t because no identity-based policy allows the dynamodb:GetItem action",
    );
    expect(requests).toBe(1);
  });

  it("Step Functions: 400 AccessDeniedException naming the execution, not retried", async () => {
    requests = 0;
    const sfn = withCaller(new SFNClient(config()), "Reader");
    const execution = "arn:aws:states:us-east-1:000000000000:execution:M:esc_1";
    const error = await sfn.send(new DescribeExecutionCommand({ executionArn: execution })).catch((e) => e);
    expect(error).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    expect(error.message).toContain(
      `not authorized to perform: states:DescribeExecution on resource: ${execution}`,
    );
    expect(requests).toBe(1);
  });

  it("SNS: 403 AuthorizationError without sns:Publish; 400 KMSAccessDenied without the topic key", async () => {
    requests = 0;
    const publish = new PublishCommand({ TopicArn: TOPIC, Message: "m" });
    const asReader = await withCaller(new SNSClient(config()), "Reader")
      .send(publish)
      .catch((e) => e);
    expect(asReader).toMatchObject({
      name: "AuthorizationErrorException",
      $metadata: { httpStatusCode: 403 },
    });
    expect(asReader.message).toContain(`not authorized to perform: sns:Publish on resource: ${TOPIC}`);
    const asPublisher = await withCaller(new SNSClient(config()), "Publisher")
      .send(publish)
      .catch((e) => e);
    expect(asPublisher).toMatchObject({
      name: "KMSAccessDeniedException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(asPublisher.message).toContain(
      `not authorized to perform: kms:GenerateDataKey on resource: ${KEY}`,
    );
    expect(requests).toBe(2);
  });
});
