import type { EscrowEvent } from "../../../functions/domain/events";
import type { OpsAlert } from "../../../functions/domain/workflow-step";
import type { EventPublisher } from "../../../functions/ports/events";
import { AwsPort } from "./port-call";

/**
 * SNS: what was published (every delivery, duplicates included) and the ops
 * alerts. An event id must always carry the same event: the same type, of
 * the same escrow at the same version.
 */

/** What the checks read of a published event. */
export interface Sent {
  id: string;
  type: EscrowEvent["type"];
  escrowId: string;
  version: number;
  evidenceId: string | undefined;
}

export interface Delivery {
  event: Sent;
  at: number;
}

export class SnsData {
  readonly deliveries: Delivery[] = [];
  readonly alerts: OpsAlert[] = [];
  /** What each id was first published as. */
  readonly meaning = new Map<string, string>();
  /** Ids published with two meanings. */
  readonly idReuse: { escrowId: string; detail: string }[] = [];
  /** By escrow: the meanings published (`type@version`, or the evidence's or reminder's id). */
  readonly published = new Map<string, Set<string>>();
  readonly dirty = new Set<string>();
  /** Who reads the topics (ops read their alerts and the disputes). */
  readonly listeners: ((escrowId: string, what: string) => void)[] = [];

  constructor(private readonly now: () => number) {}

  publish(event: Sent): void {
    const meaning = `${event.escrowId} ${event.type} v${event.version}`;
    const first = this.meaning.get(event.id);
    if (first === undefined) this.meaning.set(event.id, meaning);
    else if (first !== meaning)
      this.idReuse.push({
        escrowId: event.escrowId,
        detail: `event id ${event.id}: first ${first}, then ${meaning}`,
      });
    this.deliveries.push({ event, at: this.now() });
    const set = this.published.get(event.escrowId) ?? new Set<string>();
    set.add(`${event.type}@${event.version}`);
    if (event.evidenceId) set.add(`evidence ${event.evidenceId}`);
    this.published.set(event.escrowId, set);
    this.dirty.add(event.escrowId);
    for (const l of this.listeners) l(event.escrowId, event.type);
  }

  alert(alert: OpsAlert): void {
    this.alerts.push(alert);
    for (const l of this.listeners) l(alert.escrowId, alert.type);
  }
}

export class SimEvents extends AwsPort<SnsData> implements EventPublisher {
  protected readonly target = "sns";

  publish(event: EscrowEvent) {
    // Read as it is when published (SNS serializes it then).
    const sent = {
      id: event.id,
      type: event.type,
      escrowId: event.escrowId,
      version: event.escrow.version,
      evidenceId: event.evidence?.id,
    };
    return this.call("Publish", true, () => this.data.publish(sent));
  }

  alert(alert: OpsAlert) {
    const sent = { ...alert };
    return this.call("Publish", true, () => this.data.alert(sent));
  }
}
