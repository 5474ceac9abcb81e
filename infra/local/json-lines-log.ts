import { type FileHandle, mkdir, open, readFile, truncate } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * A durable append-only log of JSON lines (NDJSON). An append resolves once
 * its line is written to the file, so what was acknowledged survives a
 * SIGKILL; appends are serialized, so every line is whole. On open, a torn
 * last line (a crash in the middle of an append) is cut off.
 */
export class JsonLinesLog<T> {
  private handle?: FileHandle;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly report: (message: string, error: unknown) => void,
    /** What to call the log in errors. */
    private readonly closedError: () => Error = () => new Error("the log is closed"),
  ) {}

  /** Opens the log and returns the entries already in it, oldest first. */
  async open(): Promise<T[]> {
    await mkdir(dirname(this.file), { recursive: true });
    let text = "";
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    // A crash may have left half a line at the end: drop it so the next append starts clean.
    const complete = text.lastIndexOf("\n") + 1;
    if (complete < text.length) await truncate(this.file, Buffer.byteLength(text.slice(0, complete), "utf8"));
    const entries: T[] = [];
    for (const line of text.slice(0, complete).split("\n")) {
      if (line.trim() === "") continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch (error) {
        this.report(`skipping an unreadable line of ${this.file}`, error);
      }
    }
    this.handle = await open(this.file, "a");
    return entries;
  }

  /** Appends one entry; resolves once its line is in the file. */
  append(entry: T): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const next = this.chain.then(async () => {
      if (!this.handle) throw this.closedError();
      await this.handle.appendFile(line, "utf8");
    });
    this.chain = next.catch(() => {});
    return next;
  }

  /** Waits for the appends in flight, then closes the file. */
  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.handle?.close();
    this.handle = undefined;
  }
}
