import { createHash } from "node:crypto";
import type { Scheduler } from "./scheduler";

/**
 * What happened, for a failure's story and for the digest: every step's
 * event (its time and label) goes into a running SHA-256, so two runs of one
 * seed print the same digest only if they did the same things in the same
 * order at the same virtual times; the notes of each escrow (its requests,
 * answers, entries, executions, movements, the faults it met) are kept to
 * tell the story of the escrow that broke an invariant.
 */
const STORY_LINES = 800;
const STORY_HEAD = 100;

export class Trace {
  private readonly hash = createHash("sha256");
  private readonly notes = new Map<string, string[]>();
  readonly global: string[] = [];

  constructor(private readonly scheduler: Scheduler) {}

  step(label: string): void {
    this.hash.update(`${this.scheduler.steps} ${this.scheduler.now} ${label}\n`);
  }

  note(escrowId: string | null, text: string): void {
    const line = `#${this.scheduler.steps} ${new Date(this.scheduler.now).toISOString()} ${text}`;
    this.hash.update(`${line}\n`);
    if (escrowId === null) {
      this.global.push(line);
      if (this.global.length > 2_000) this.global.splice(0, 1_000);
      return;
    }
    const lines = this.notes.get(escrowId) ?? [];
    lines.push(line);
    // A long-lived escrow's story keeps its beginning and its latest lines (memory stays bounded on long runs).
    if (lines.length > STORY_LINES) lines.splice(STORY_HEAD, lines.length - STORY_LINES + 1, "  …");
    this.notes.set(escrowId, lines);
  }

  of(escrowId: string): readonly string[] {
    return this.notes.get(escrowId) ?? [];
  }

  /** The digest so far (the running hash is not consumed). */
  digest(): string {
    return this.hash.copy().digest("hex").slice(0, 32);
  }
}
