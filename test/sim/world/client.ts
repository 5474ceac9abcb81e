import { escrowIdFor } from "../../../functions/domain/ids";
import { type ApiAnswer, type ApiRequest, SETTINGS, serve } from "../wiring";
import type { World } from "./world";

/**
 * The marketplace's HTTP client: each request is an API Lambda invocation
 * (API Gateway answers 502 when the function dies and 504 when it runs out
 * of time); every answer is held to what it promises.
 */

export class Client {
  private sent = 0;
  readonly byStatus = new Map<number, number>();
  /** Evidence the API answered 201 for, by escrow: each owes its event. */
  readonly evidence = new Map<string, string[]>();

  constructor(private readonly world: World) {}

  /** The escrow a request is about (a creation's id follows from its key). */
  escrowOf(request: ApiRequest): string | null {
    if (request.routeId === "CreateEscrow" && request.idempotencyKey)
      return escrowIdFor(SETTINGS.tenantId, request.idempotencyKey);
    return request.escrowId;
  }

  send(request: ApiRequest, why: string): Promise<ApiAnswer> {
    const n = ++this.sent;
    const escrowId = this.escrowOf(request);
    const key = request.idempotencyKey ? ` [key ${request.idempotencyKey}]` : "";
    this.world.note(
      escrowId,
      `→ #${n} ${why}: ${request.routeId}${key} ${JSON.stringify(request.body ?? null).slice(0, 200)}`,
    );
    const { op, done } = this.world.lambda.invoke({
      kind: "api",
      functionId: request.routeId,
      label: `${request.routeId}#${n}`,
      escrowId,
      timeoutMs: SETTINGS.timeoutMs.api,
      body: (op) => serve(this.world.portsFor(op), request),
    });
    return done.then((result) => {
      const answer: ApiAnswer =
        "output" in result
          ? (result.output as unknown as ApiAnswer)
          : { status: result.error === "Sandbox.Timedout" ? 504 : 502, body: { error: result.error } };
      this.byStatus.set(answer.status, (this.byStatus.get(answer.status) ?? 0) + 1);
      const b = answer.body as { status?: string; version?: number; code?: string; id?: string } | null;
      const summary =
        answer.status < 300
          ? `${b?.status ?? b?.id ?? ""} v${b?.version ?? "-"}`
          : (b?.code ?? JSON.stringify(b));
      this.world.note(escrowId, `← #${n} ${answer.status} ${summary}`);
      this.world.checker.onAnswer(request, answer, op, escrowId);
      if (request.routeId === "AddEvidence" && answer.status === 201 && escrowId && b?.id)
        this.evidence.set(escrowId, [...new Set([...(this.evidence.get(escrowId) ?? []), b.id])]);
      return answer;
    });
  }
}
