import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serviceClosed } from "./errors";
import type { ExecutionRecord } from "./types";

interface PendingWrite {
  record: ExecutionRecord;
  dirty: boolean;
  waiters: Array<{ resolve(): void; reject(e: Error): void }>;
  writing?: Promise<void>;
}

/**
 * Executions on disk: one JSON file per execution under `dir`, replaced
 * atomically (written to a temporary file, then renamed). Writes of one
 * execution are coalesced: a write includes every change made before it starts.
 */
export class ExecutionStore {
  private readonly writes = new Map<string, PendingWrite>();
  private counter = 0;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly report: (message: string, error: unknown) => void,
  ) {}

  /** Resolves once a write that includes the record as it is now is on disk. */
  persist(record: ExecutionRecord): Promise<void> {
    if (this.closed) return Promise.reject(serviceClosed());
    let pending = this.writes.get(record.name);
    if (!pending) {
      pending = { record, dirty: false, waiters: [] };
      this.writes.set(record.name, pending);
    }
    pending.record = record;
    pending.dirty = true;
    const target = pending;
    const done = new Promise<void>((resolve, reject) => target.waiters.push({ resolve, reject }));
    this.kick(target);
    return done;
  }

  async read(name: string): Promise<ExecutionRecord> {
    return JSON.parse(await readFile(this.fileOf(name), "utf8")) as ExecutionRecord;
  }

  /** Every execution on disk (unreadable files are reported and skipped; leftover temporary files removed). */
  async loadAll(): Promise<ExecutionRecord[]> {
    await mkdir(this.dir, { recursive: true });
    const files = await readdir(this.dir);
    for (const f of files) if (f.endsWith(".tmp")) await rm(join(this.dir, f), { force: true });
    const names = files.filter((f) => f.endsWith(".json"));
    const records: ExecutionRecord[] = [];
    for (let i = 0; i < names.length; i += 64) {
      const batch = await Promise.all(
        names.slice(i, i + 64).map(async (f) => {
          try {
            return JSON.parse(await readFile(join(this.dir, f), "utf8")) as ExecutionRecord;
          } catch (error) {
            this.report(`skipping unreadable execution file ${f}`, error);
            return undefined;
          }
        }),
      );
      for (const r of batch) if (r) records.push(r);
    }
    return records;
  }

  /**
   * Waits until no write is in flight, then refuses new ones (a late write
   * must never land on a file the next service on this folder has written).
   */
  async close(): Promise<void> {
    for (;;) {
      const writing = [...this.writes.values()].flatMap((w) => (w.writing ? [w.writing] : []));
      if (writing.length === 0) break;
      await Promise.all(writing.map((w) => w.catch(() => {})));
    }
    this.closed = true;
  }

  private fileOf(name: string): string {
    return join(this.dir, `${encodeURIComponent(name)}.json`);
  }

  private kick(pending: PendingWrite): void {
    if (pending.writing) return;
    pending.writing = this.writeLoop(pending).finally(() => {
      pending.writing = undefined;
      if (pending.dirty) this.kick(pending);
      else if (this.writes.get(pending.record.name) === pending) this.writes.delete(pending.record.name);
    });
  }

  private async writeLoop(pending: PendingWrite): Promise<void> {
    while (pending.dirty) {
      pending.dirty = false;
      const waiters = pending.waiters.splice(0);
      if (this.closed) {
        for (const w of waiters) w.reject(serviceClosed());
        continue;
      }
      const text = JSON.stringify(pending.record);
      const file = this.fileOf(pending.record.name);
      const tmp = `${file}.${process.pid}.${++this.counter}.tmp`;
      try {
        await writeFile(tmp, text);
        await rename(tmp, file);
        for (const w of waiters) w.resolve();
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => {});
        for (const w of waiters) w.reject(error as Error);
      }
    }
  }
}
