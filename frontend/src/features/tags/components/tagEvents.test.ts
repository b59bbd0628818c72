import { describe, expect, it } from "vitest";
import { describeEvent } from "../../tickets/components/TimelineEntry";
import type { TicketEvent } from "../../tickets/api/events";

const ana = { id: 1, name: "Ana" };

function event(fields: Partial<TicketEvent>): TicketEvent {
  return { id: 1, kind: "tags_changed", at: "2026-12-07T10:00:00Z", actor: ana, ...fields };
}

describe("tag and priority events on the timeline", () => {
  it("say which tags were put on and taken off", () => {
    expect(describeEvent(event({ added: ["refund", "vip"], removed: [] }))).toBe("Ana tagged it refund, vip");
    expect(describeEvent(event({ added: [], removed: ["vip"] }))).toBe("Ana removed vip");
    expect(describeEvent(event({ added: ["refund"], removed: ["vip"] }))).toBe("Ana tagged it refund and removed vip");
  });

  it("say how the priority changed", () => {
    expect(describeEvent(event({ kind: "priority_changed", from_priority: "normal", to_priority: "urgent" }))).toBe(
      "Ana changed the priority from Normal to Urgent",
    );
  });
});
