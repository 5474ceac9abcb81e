import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../functions/domain/events";
import { KIND_NAMES } from "../../functions/domain/kinds/names";
import { KIND_MODULES } from "../../functions/domain/kinds/registry";
import { RENTAL_DEPOSIT_FIELDS } from "../../functions/domain/kinds/rental-deposit/api";
import { VEHICLE_FIELDS } from "../../functions/domain/kinds/vehicle/api";
import { OUTCOMES_IF_SILENT } from "../../functions/domain/reminders";
import { PENDING_ACTIONS, STATUSES } from "../../functions/domain/types";

/**
 * The domain's enumerations are the common names and each kind's own
 * (functions/domain/kinds/<kind>/names.ts): a name two kinds both declare, or
 * one a kind declares that is common already, would make one status, event or
 * action mean two things.
 */
const repeated = (names: readonly string[]) => names.filter((n, i) => names.indexOf(n) !== i);

describe("the kinds' own names", () => {
  it.each([
    ["statuses", STATUSES],
    ["event types", EVENT_TYPES],
    ["pending actions", PENDING_ACTIONS],
    ["reminder outcomes", OUTCOMES_IF_SILENT],
  ] as const)("are each declared once among the %s", (_, names) => {
    expect(repeated(names)).toEqual([]);
  });

  it("each belong to one kind, whose module uses them: its statuses have its waits, its windows its defaults", () => {
    const steps = KIND_NAMES.flatMap((n) => n.steps);
    expect(repeated(steps)).toEqual([]);
    for (const kind of Object.values(KIND_MODULES)) {
      const waits = Object.keys(kind.waits);
      const windows = Object.keys(kind.windows);
      const own = KIND_NAMES.filter(
        (n) => n.statuses.some((s) => waits.includes(s)) || n.windows.some((w) => windows.includes(w)),
      );
      // A kind uses the names of one kind at most: its own (goods and service have none).
      expect(own.length, kind.name).toBeLessThanOrEqual(1);
      for (const names of own) {
        for (const status of names.statuses)
          expect(waits, `${kind.name} waits in ${status}`).toContain(status);
        for (const window of names.windows) expect(windows, `${kind.name} has ${window}`).toContain(window);
      }
    }
  });

  it("name each kind's create fields the same in its module and its API (the body it takes is the fields it checks)", () => {
    const api: Record<string, readonly string[]> = {
      goods: [],
      service: [],
      rental_deposit: Object.keys(RENTAL_DEPOSIT_FIELDS.create()),
      vehicle: Object.keys(VEHICLE_FIELDS.create()),
    };
    for (const kind of Object.values(KIND_MODULES))
      expect([...kind.createFields].sort(), kind.name).toEqual([...(api[kind.name] ?? [])].sort());
  });
});
