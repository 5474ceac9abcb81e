import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";

/**
 * The campaign's observer of Step Functions (the bench's, not the service's:
 * the service never lists executions). While the campaign runs it samples the
 * RUNNING executions on the local endpoint every `intervalMs` and keeps, per
 * escrow, the most it saw running at once; at the end it counts every
 * execution each escrow had (`<id>`, `<id>-p…`, `<id>-r…`).
 */
export class ExecutionObserver {
  private readonly sfn: SFNClient;
  private stateMachineArn = "";
  private readonly maxRunning = new Map<string, number>();
  private samples = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly url: string) {
    this.sfn = new SFNClient({
      endpoint: url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  }

  async start(intervalMs = 1000): Promise<void> {
    const metrics = (await (await fetch(`${this.url}/_local/metrics`)).json()) as { stateMachineArn: string };
    this.stateMachineArn = metrics.stateMachineArn;
    this.loop = (async () => {
      while (!this.stopped) {
        await this.sample().catch(() => {});
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  /** The escrow an execution carries: its name up to the first `-`. */
  private static escrowOf(name: string): string {
    return name.split("-")[0] as string;
  }

  private async list(status?: "RUNNING"): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: this.stateMachineArn,
          ...(status ? { statusFilter: status } : {}),
          maxResults: 1000,
          nextToken,
        }),
      );
      for (const e of page.executions ?? []) names.push(e.name as string);
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  private async sample(): Promise<void> {
    const running = new Map<string, number>();
    for (const name of await this.list("RUNNING")) {
      const escrow = ExecutionObserver.escrowOf(name);
      running.set(escrow, (running.get(escrow) ?? 0) + 1);
    }
    for (const [escrow, n] of running)
      this.maxRunning.set(escrow, Math.max(this.maxRunning.get(escrow) ?? 0, n));
    this.samples++;
  }

  /** Stops sampling; every escrow's executions (of `ids`), and the most seen running at once for one escrow. */
  async stop(ids: string[]): Promise<{
    samples: number;
    maxRunningAtOnce: number;
    escrowsWithTwoRunning: string[];
    perEscrowMedian: number;
    perEscrowMax: number;
    histogram: Record<string, number>;
  }> {
    this.stopped = true;
    await this.loop;
    await this.sample().catch(() => {});
    const counts = new Map<string, number>(ids.map((id) => [id, 0]));
    for (const name of await this.list()) {
      const escrow = ExecutionObserver.escrowOf(name);
      if (counts.has(escrow)) counts.set(escrow, (counts.get(escrow) ?? 0) + 1);
    }
    this.sfn.destroy();
    const per = [...counts.values()].sort((a, b) => a - b);
    const histogram: Record<string, number> = {};
    for (const n of per) histogram[n] = (histogram[n] ?? 0) + 1;
    return {
      samples: this.samples,
      maxRunningAtOnce: Math.max(0, ...this.maxRunning.values()),
      escrowsWithTwoRunning: [...this.maxRunning].filter(([, n]) => n > 1).map(([id]) => id),
      perEscrowMedian: per.length ? (per[Math.floor((per.length - 1) / 2)] as number) : 0,
      perEscrowMax: per.length ? (per[per.length - 1] as number) : 0,
      histogram,
    };
  }
}
