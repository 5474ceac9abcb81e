import type {
  FaultMode,
  FaultPoint,
  FaultTarget,
  Movement,
  SandboxLedger,
} from "../../functions/adapters/local-hooks";
import { SandboxPaymentProvider } from "../../functions/adapters/sandbox-payment-provider";
import type { EscrowEvent } from "../../functions/domain/events";
import { type OpsAlert, routeOf, type WorkflowStep } from "../../functions/domain/workflow-step";
import type { EventPublisher } from "../../functions/ports/events";
import { PayoutRejected, type TransferRequest } from "../../functions/ports/payment-provider";
import type { ExecutionStatus, WorkflowEngine, WorkflowStart } from "../../functions/ports/workflow";

/**
 * Test doubles of the ports, shared by the app and workflow suites. They keep
 * what real dependencies keep (Step Functions refuses a second execution of a
 * name, the provider records a keyed movement once) so that tests can hold the
 * record to them.
 */

/** A workflow engine that records what it is asked; names are unique, tokens single-use. */
export class RecordingWorkflow implements WorkflowEngine {
  started: WorkflowStart[] = [];
  signals: { token: string; step: WorkflowStep }[] = [];
  used = new Set<string>();
  /** Executions by name, with a status a test may set (e.g. FAILED). */
  executions = new Map<string, { input: WorkflowStart; status: ExecutionStatus; stoppedAt?: Date }>();
  /** When set, the next calls of that kind throw (Step Functions refusing: throttled, unavailable). */
  refuse: { start?: boolean; signal?: boolean } = {};

  async start(input: WorkflowStart): Promise<boolean> {
    if (this.refuse.start) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    // What goes over the wire: only what the workflow routes on (as the Step Functions adapter sends).
    input = { ...input, step: routeOf(input.step) };
    this.started.push(input);
    if (this.executions.has(input.name)) return false;
    this.executions.set(input.name, { input, status: "RUNNING" });
    return true;
  }
  async signal(token: string, step: WorkflowStep): Promise<boolean> {
    if (this.refuse.signal) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    if (this.used.has(token)) return false;
    this.used.add(token);
    this.signals.push({ token, step: routeOf(step) });
    return true;
  }
  /** An execution ends (as one that parked its escrow for ops does, in ParkedForOps). */
  end(name: string, status: ExecutionStatus = "SUCCEEDED"): void {
    const execution = this.executions.get(name);
    if (execution) execution.status = status;
  }
  /** The executions asked about (DescribeExecution), in order. */
  described: string[] = [];
  async status(name: string): Promise<ExecutionStatus | null> {
    this.described.push(name);
    return this.executions.get(name)?.status ?? null;
  }
  executionArn(name: string): string {
    return `arn:aws:states:us-east-1:000000000000:execution:escrow:${name}`;
  }
  /** Distinct execution names started, in order. */
  get names(): string[] {
    return [...this.executions.keys()];
  }
}

/** Events and ops alerts as published; `fails` makes every publish throw (an SNS outage). */
export class RecordingPublisher implements EventPublisher {
  events: EscrowEvent[] = [];
  alerts: OpsAlert[] = [];
  fails = false;
  async publish(event: EscrowEvent): Promise<void> {
    if (this.fails) throw Object.assign(new Error("SNS is unavailable"), { name: "InternalErrorException" });
    this.events.push(structuredClone(event));
  }
  async alert(alert: OpsAlert): Promise<void> {
    if (this.fails) throw Object.assign(new Error("SNS is unavailable"), { name: "InternalErrorException" });
    this.alerts.push(structuredClone(alert));
  }
  of(escrowId: string): { id: string; type: string }[] {
    return this.events.filter((e) => e.escrowId === escrowId).map((e) => ({ id: e.id, type: e.type }));
  }
}

/**
 * The sandbox provider's own ledger, in memory (as `/_local/payments` keeps it):
 * a movement repeated with its key is recorded once.
 */
export class MemoryLedger implements SandboxLedger {
  movements: (Movement & { id: string; at: string })[] = [];
  async record(movement: Movement) {
    const seen = this.movements.find((m) => m.key === movement.key);
    if (seen) return { id: seen.id, at: seen.at, recorded: false };
    const m = { ...movement, id: `pay_${this.movements.length + 1}`, at: new Date().toISOString() };
    this.movements.push(m);
    return { id: m.id, at: m.at, recorded: true };
  }
  async heldAmount(holdKey: string) {
    const hold = this.movements.find((m) => m.key === holdKey && m.type === "hold");
    return hold?.amount;
  }
  of(escrowId: string) {
    return this.movements.filter((m) => m.escrowId === escrowId);
  }
  /** What the provider still holds for the escrow: Σ hold − Σ void − Σ payout − Σ fee − Σ refund. */
  held(escrowId: string): number {
    return this.of(escrowId).reduce((s, m) => s + (m.type === "hold" ? m.amount : -m.amount), 0);
  }
  sum(escrowId: string, type: Movement["type"]): number {
    return this.of(escrowId)
      .filter((m) => m.type === type)
      .reduce((s, m) => s + m.amount, 0);
  }
}

/** `/_local/faults` in miniature: a fault per target and operation until it is cleared. */
export class FaultSwitch implements FaultPoint {
  private readonly rules = new Map<string, FaultMode>();
  set(target: FaultTarget, operation: string, mode: FaultMode | null): void {
    if (mode === null) this.rules.delete(`${target}:${operation}`);
    else this.rules.set(`${target}:${operation}`, mode);
  }
  clear(): void {
    this.rules.clear();
  }
  check(target: FaultTarget, operation: string): FaultMode | null {
    return this.rules.get(`${target}:${operation}`) ?? null;
  }
}

/**
 * The sandbox provider over a MemoryLedger and a FaultSwitch, counting every
 * call by key (a call that was repeated shows up more than once here, and
 * once in the ledger), and able to reject payouts for good.
 */
export class TestPayments extends SandboxPaymentProvider {
  calls: { type: string; key: string }[] = [];
  rejectPayouts = false;
  /** Called before each movement reaches the provider (e.g. to look at the record at that moment). */
  onCall?: (type: string, key: string) => Promise<void> | void;
  constructor(
    readonly book = new MemoryLedger(),
    readonly faultSwitch = new FaultSwitch(),
  ) {
    super(book, faultSwitch);
  }
  override async hold(request: Parameters<SandboxPaymentProvider["hold"]>[0]) {
    await this.note("hold", request.key);
    return super.hold(request);
  }
  override async void(request: Parameters<SandboxPaymentProvider["void"]>[0]) {
    await this.note("void", request.key);
    return super.void(request);
  }
  override async transfer(request: TransferRequest) {
    await this.note(request.type, request.key);
    if (this.rejectPayouts && request.type === "payout")
      throw new PayoutRejected("the payee's account is closed");
    return super.transfer(request);
  }
  callsOf(escrowId: string, type?: string) {
    return this.calls.filter(
      (c) => c.key.startsWith(`${escrowId}:`) && (type === undefined || c.type === type),
    );
  }
  private async note(type: string, key: string) {
    this.calls.push({ type, key });
    await this.onCall?.(type, key);
  }
}
