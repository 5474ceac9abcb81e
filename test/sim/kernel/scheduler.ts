import { Heap } from "./heap";

/**
 * Virtual time and the event queue. Time is an integer number of
 * milliseconds that only the queue moves: an event runs at its time, then
 * every promise it resolved runs until each operation of the service is
 * parked again at its next call to a port (or has finished). Nothing else
 * makes time pass, so a run is a pure function of its seed.
 */

/** `tick`: the reconciler's schedule; everything else is `work` (a tick alone does not keep time moving). */
export type EventKind = "work" | "tick";

export interface SimEvent {
  at: number;
  seq: number;
  label: string;
  kind: EventKind;
  fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  /** Virtual epoch milliseconds. */
  now: number;
  /** Events run so far (cancelled events are not steps). */
  steps = 0;
  private seq = 0;
  private readonly queue = new Heap<SimEvent>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));

  constructor(start: number) {
    this.now = start;
  }

  at(at: number, label: string, fn: () => void, kind: EventKind = "work"): SimEvent {
    const ev: SimEvent = { at: Math.max(at, this.now), seq: this.seq++, label, kind, fn, cancelled: false };
    this.queue.push(ev);
    return ev;
  }

  after(ms: number, label: string, fn: () => void, kind: EventKind = "work"): SimEvent {
    return this.at(this.now + Math.max(0, Math.round(ms)), label, fn, kind);
  }

  /** The time of the soonest pending event of this kind, or null. */
  soonest(kind: EventKind): number | null {
    let best: number | null = null;
    for (const ev of this.queue.all())
      if (!ev.cancelled && ev.kind === kind && (best === null || ev.at < best)) best = ev.at;
    return best;
  }

  get pending(): number {
    return this.queue.size;
  }

  /**
   * Runs the next event and lets everything it woke run to its next park.
   * Null when the queue is empty.
   */
  async step(): Promise<SimEvent | null> {
    let ev = this.queue.pop();
    while (ev?.cancelled) ev = this.queue.pop();
    if (!ev) return null;
    this.now = ev.at;
    this.steps++;
    ev.fn();
    await settle();
    return ev;
  }
}

/**
 * Every microtask (and nextTick) runs before the next macrotask: once this
 * resolves, every operation woken by the event has reached its next park.
 * Operations park only on the scheduler (ports, virtual timers), so this is
 * the whole of what the event caused.
 */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
