import type { TaskInvocation } from "../asl/interpreter";
import type { JsonObject } from "../asl/json";
import { functionIdOf, loadWorkflow } from "../asl/workflow-file";
import { type CheckedWorld, Checker } from "../check/checker";
import type { Op } from "../kernel/ops";
import { Random } from "../kernel/random";
import { Scheduler } from "../kernel/scheduler";
import { Trace } from "../kernel/trace";
import { SimEvents, SnsData } from "../ports/events";
import type { FaultPlan } from "../ports/faults";
import { LambdaRuntime, lambdaError } from "../ports/lambda";
import type { PortContext } from "../ports/port-call";
import { ProviderData, SimPayments } from "../ports/provider";
import { StoreData } from "../ports/store-data";
import { simStore } from "../ports/store-view";
import { SimWorkflow, WorkflowData } from "../ports/workflow";
import { SETTINGS, type SimPorts, TASK_BODIES } from "../wiring";
import { describeOutage, drawWeather, strikeAfterMovement } from "./fault-plan";
import { drawSwarm, type Swarm } from "./swarm";

/**
 * One simulated deployment: the clock, the dependencies (with their faults),
 * Step Functions running the ASL file, Lambda running the service's code,
 * the invariants watching; everything drawn from the seed.
 */

export interface SimOptions {
  seed: number;
  /** Steps before the faults are healed (the liveness phase's steps come on top). */
  steps: number;
  /** Deals in progress at once. */
  escrows: number;
  /** Fault knobs turned off (`dynamodb.ambiguous`, `outage.3`, `chaos`): what a shrink tries. */
  disabled?: readonly string[];
  /** Go on after a violation (to survey what a seed finds), up to this many; default: stop at the first. */
  keepGoing?: number;
}

/** 2030-01-01, give or take a year: no test depends on today's date. */
const EPOCH = Date.UTC(2030, 0, 1);

export class World implements CheckedWorld {
  readonly tenantId = SETTINGS.tenantId;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly random: Record<
    "faults" | "latency" | "actors" | "service" | "jitter" | "chaos" | "outages",
    Random
  >;
  readonly store = new StoreData(SETTINGS.reconcileSeconds);
  readonly provider: ProviderData;
  readonly sns: SnsData;
  readonly workflow: WorkflowData;
  readonly lambda: LambdaRuntime;
  readonly faults: FaultPlan;
  readonly profile: string;
  readonly ctx: PortContext;
  readonly checker: Checker;
  readonly endedFromOutside = new Set<string>();
  readonly params: {
    maxSkewMs: number;
    quota: number;
    closedPayeeShare: number;
    chaosMeanMs: number | null;
  };
  readonly swarm: Swarm;

  constructor(readonly options: SimOptions) {
    const fork = (label: string) => Random.fork(options.seed, label);
    this.random = {
      faults: fork("faults"),
      latency: fork("latency"),
      actors: fork("actors"),
      service: fork("service"),
      jitter: fork("jitter"),
      chaos: fork("chaos"),
      outages: fork("outage-draws"),
    };
    const p = fork("params");
    const start = EPOCH + p.int(0, 365) * 86_400_000 + p.int(0, 86_399_999);
    this.scheduler = new Scheduler(start);
    this.trace = new Trace(this.scheduler);
    const weather = drawWeather(this.random.faults, start, this.random.outages);
    this.faults = weather.plan;
    this.profile = weather.profile;
    for (const d of options.disabled ?? []) this.faults.disabled.add(d);
    this.params = {
      maxSkewMs: p.pick([0, 0, 50, 500, 2_000]),
      quota: p.chance(0.2)
        ? p.int(Math.max(2, Math.floor(options.escrows / 2)), options.escrows * 2)
        : 1_000_000,
      closedPayeeShare: p.pick([0, 0, 0, 0.02, 0.1]),
      chaosMeanMs:
        p.chance(0.5) && !this.faults.disabled.has("chaos") ? p.logUniform(3_600_000, 30 * 86_400_000) : null,
    };
    this.swarm = drawSwarm(fork("swarm"), this.faults.disabled.has("strike"));
    const closed = new Set<string>();
    const payees = fork("payees");
    for (let n = 0; n < 100_000; n++)
      if (payees.chance(this.params.closedPayeeShare)) closed.add(`seller-${n}`);
    this.provider = new ProviderData(() => this.scheduler.now, closed);
    this.sns = new SnsData(() => this.scheduler.now);
    this.provider.onMovement = (m) => {
      if (this.faults.healed || !this.random.outages.chance(this.swarm.strikeRate)) return;
      const o = strikeAfterMovement(this.random.outages, this.faults, this.scheduler.now, m.type);
      this.note(m.escrowId, `strikes after the ${m.type}: ${describeOutage(o)}`);
      this.scheduler.at(o.end, `outage ${o.id} ends`, () => this.note(null, `ends: outage ${o.id}`));
    };
    this.lambda = new LambdaRuntime(
      this.scheduler,
      this.faults,
      this.random.latency,
      this.params.maxSkewMs,
      (op, line) => this.note(op?.escrowId ?? null, `${op?.label ?? "?"}: ${line}`),
    );
    this.ctx = {
      scheduler: this.scheduler,
      faults: this.faults,
      latency: this.random.latency,
      onCrash: (op) => this.lambda.crashed(op),
      trace: (op, line) => this.note(op?.escrowId ?? null, `${op?.label ?? "?"}: ${line}`),
    };
    this.workflow = new WorkflowData(
      loadWorkflow(),
      this.scheduler,
      this.random.jitter,
      (task) => this.invokeTask(task),
      this.params.quota,
      (e) =>
        this.note(
          e.escrowId,
          `execution ${e.name} ${e.status}${e.error ? ` (${e.error})` : ""} in ${e.state}`,
        ),
    );
    this.checker = new Checker(this);
    for (const o of this.faults.outages) {
      if (this.faults.disabled.has(`outage.${o.id}`)) continue;
      this.scheduler.at(o.start, `outage ${o.id} begins`, () =>
        this.note(null, `begins: ${describeOutage(o)}`),
      );
      this.scheduler.at(o.end, `outage ${o.id} ends`, () => this.note(null, `ends: outage ${o.id}`));
    }
    if (this.params.chaosMeanMs !== null) this.scheduleChaos();
  }

  step(): number {
    return this.scheduler.steps;
  }

  now(): number {
    return this.scheduler.now;
  }

  note(escrowId: string | null, text: string): void {
    this.trace.note(escrowId, text);
  }

  /** The ports as one invocation sees them (its calls, its clock). */
  portsFor(op: Op | null): SimPorts {
    const skew = op?.skewMs ?? 0;
    return {
      store: simStore(this.store, this.ctx, op),
      workflow: new SimWorkflow(this.workflow, this.ctx, op),
      events: new SimEvents(this.sns, this.ctx, op),
      payments: new SimPayments(
        this.provider,
        this.ctx,
        op,
        (id) => this.store.peek(this.tenantId, id)?.terms.sellerId ?? "",
      ),
      now: () => new Date(this.scheduler.now + skew),
    };
  }

  /** A Task state invokes its Lambda (lambda:invoke, with or without a token). */
  private invokeTask(task: TaskInvocation): void {
    const params = task.parameters as JsonObject;
    const id = functionIdOf(String(params.FunctionName));
    const body = id ? TASK_BODIES[id] : undefined;
    const exec = task.execution as TaskInvocation["execution"] & { escrowId: string };
    if (!id || !body) {
      task.finish(
        lambdaError("Lambda.ResourceNotFoundException", `no function ${String(params.FunctionName)}`),
      );
      return;
    }
    const payload = params.Payload;
    this.lambda
      .invoke({
        kind: "task",
        functionId: id,
        label: `${task.state}@${exec.name}`,
        escrowId: exec.escrowId,
        timeoutMs: SETTINGS.timeoutMs.task,
        body: (op) => body(this.portsFor(op), structuredClone(payload)),
      })
      .done.then((result) => {
        if ("output" in result) {
          const o = result.output as JsonObject | null;
          if (!task.callback)
            this.note(
              exec.escrowId,
              `${task.state}@${exec.name} → ${o ? `${o.outcome} v${o.version}` : "null"}`,
            );
          task.finish({ output: { Payload: result.output, StatusCode: 200, ExecutedVersion: "$LATEST" } });
        } else {
          this.note(
            exec.escrowId,
            `${task.state}@${exec.name} failed: ${result.error}${errorMessage(result.cause)}`,
          );
          task.finish(result);
        }
      });
  }

  /** Now and then an execution ends by something outside the workflow: AWS limits, an operator's StopExecution. */
  private scheduleChaos(): void {
    const mean = this.params.chaosMeanMs as number;
    const r = this.random.chaos;
    this.scheduler.after(Math.max(1, Math.round(-Math.log(1 - r.next()) * mean)), "chaos", () => {
      if (this.faults.healed) return;
      const running = [...this.workflow.executions.values()].filter((e) => e.status === "RUNNING");
      if (running.length > 0) {
        const victim = r.pick(running);
        const status = r.pick(["FAILED", "TIMED_OUT", "ABORTED"] as const);
        this.note(victim.escrowId, `chaos: execution ${victim.name} ends ${status}`);
        this.endedFromOutside.add(victim.name);
        this.workflow.stop(victim.name, status, "injected by the simulation");
      }
      this.scheduleChaos();
    });
  }
}

function errorMessage(cause: string): string {
  try {
    const m = (JSON.parse(cause) as { errorMessage?: string }).errorMessage;
    return m ? ` (${m.slice(0, 160)})` : "";
  } catch {
    return "";
  }
}
