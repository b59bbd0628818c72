import { describe, expect, it } from "vitest";
import { toCsv } from "./csv";
import { bucketLabels, formatCount, formatDuration, formatPeriod } from "./format";
import { daysBetween, effectiveBucket, periodOf } from "./period";
import { agentsCsv, inboxesCsv, seriesCsv, summaryCsv } from "./reportCsv";
import { reportSummary } from "./testing";

describe("report formatting", () => {
  it("writes durations short: seconds, minutes, hours and minutes, days and hours", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(240)).toBe("4 min");
    expect(formatDuration(269)).toBe("4 min");
    expect(formatDuration(3599)).toBe("1 h");
    expect(formatDuration(7500)).toBe("2 h 5 min");
    expect(formatDuration(7200)).toBe("2 h");
    expect(formatDuration(93_600)).toBe("1 d 2 h");
    expect(formatDuration(172_800)).toBe("2 d");
    expect(formatCount(1234)).toBe("1,234");
    expect(formatCount(null)).toBe("—");
  });

  it("labels buckets in the team's timezone, and tells a repeated DST hour apart", () => {
    const amsterdam = "Europe/Amsterdam";
    expect(bucketLabels(["2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00"], "day", amsterdam)).toEqual(["Sat, Oct 24", "Sun, Oct 25"]);
    expect(
      bucketLabels(["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"], "hour", amsterdam),
    ).toEqual(["Sun, Oct 25 01:00", "Sun, Oct 25 02:00 (GMT+2)", "Sun, Oct 25 02:00 (GMT+1)", "Sun, Oct 25 03:00"]);
    // The same instants, whichever way the server writes them.
    expect(bucketLabels(["2026-10-24T22:00:00Z"], "day", amsterdam)).toEqual(["Sun, Oct 25"]);
    expect(bucketLabels(["2026-12-07T14:00:00Z"], "hour", "UTC")).toEqual(["Mon, Dec 7 14:00"]);
    expect(bucketLabels(["2026-12-07T14:00:00Z"], "hour", "Not/AZone")).toEqual(["Mon, Dec 7 14:00"]);
  });

  it("shows the period's last day in the team's timezone, not the exclusive end", () => {
    expect(formatPeriod({ from: "2026-12-01T00:00:00+01:00", to: "2026-12-08T00:00:00+01:00", timezone: "Europe/Amsterdam" })).toBe(
      "Dec 1, 2026 – Dec 7, 2026",
    );
    expect(formatPeriod({ from: "2026-11-30T23:00:00Z", to: "2026-12-07T23:00:00Z", timezone: "Europe/Amsterdam" })).toBe(
      "Dec 1, 2026 – Dec 7, 2026",
    );
    expect(formatPeriod({ from: "2026-12-07T00:00:00Z", to: "2026-12-08T00:00:00Z", timezone: "UTC" })).toBe("Dec 7, 2026");
    expect(formatPeriod({ from: "2026-12-07T00:00:00Z", to: "2026-12-07T15:00:00Z", timezone: "UTC" })).toBe("Dec 7, 2026");
  });
});

describe("report periods", () => {
  const today = new Date(2026, 11, 7, 9, 30);

  it("turns the presets into whole days up to today", () => {
    const none = { from: "", to: "" };
    expect(periodOf("today", none, today)).toEqual({ from: "2026-12-07", to: "2026-12-07", days: 1 });
    expect(periodOf("7d", none, today)).toEqual({ from: "2026-12-01", to: "2026-12-07", days: 7 });
    expect(periodOf("30d", none, today)).toEqual({ from: "2026-11-08", to: "2026-12-07", days: 30 });
  });

  it("checks custom dates", () => {
    expect(periodOf("custom", { from: "2026-01-01", to: "2026-01-31" }, today)).toEqual({ from: "2026-01-01", to: "2026-01-31", days: 31 });
    expect(periodOf("custom", { from: "2026-02-01", to: "2026-01-31" }, today)).toEqual({ error: "“From” must be on or before “To”." });
    expect(periodOf("custom", { from: "", to: "2026-01-31" }, today)).toEqual({ error: "Choose both dates." });
    expect(periodOf("custom", { from: "2024-01-01", to: "2026-01-31" }, today)).toEqual({ error: "A report covers at most 400 days." });
    expect(daysBetween("2026-03-01", "2026-03-31")).toBe(31);
  });

  it("offers hours up to 31 days, and counts a day by the hour unless told otherwise", () => {
    expect(effectiveBucket(null, 1)).toBe("hour");
    expect(effectiveBucket(null, 7)).toBe("day");
    expect(effectiveBucket("hour", 31)).toBe("hour");
    expect(effectiveBucket("hour", 32)).toBe("day");
    expect(effectiveBucket("day", 1)).toBe("day");
  });
});

describe("report CSV files", () => {
  it("quotes what must be quoted and guards text a spreadsheet would run, but not numbers or E.164", () => {
    expect(
      toCsv(
        ["name", "value"],
        [
          ["=HYPERLINK(\"http://evil\")", 1],
          ["+1+1", -2],
          ["@SUM(A1)", null],
          ["-minus", 0],
          ["Smith, Jo", 3],
          ["two\nlines", 4],
          ["+14155550100", 5],
          ["plain = text", 6],
        ],
      ),
    ).toBe(
      'name,value\r\n"\'=HYPERLINK(""http://evil"")",1\r\n\'+1+1,-2\r\n\'@SUM(A1),\r\n\'-minus,0\r\n"Smith, Jo",3\r\n"two\nlines",4\r\n+14155550100,5\r\nplain = text,6\r\n',
    );
  });

  it("writes the summary one figure a line, durations in seconds, with the period and filters", () => {
    const lines = summaryCsv(reportSummary(), { inbox: "+14155550100", agent: "Bo Builder" }).split("\r\n");
    expect(lines.slice(0, 6)).toEqual([
      "figure,value",
      "from,2026-12-01T00:00:00Z",
      "to,2026-12-08T00:00:00Z",
      "timezone,UTC",
      "inbox,+14155550100",
      "agent,Bo Builder",
    ]);
    expect(lines).toContain("new_tickets,1234");
    expect(lines).toContain("first_response_median_seconds,240");
    expect(lines).toContain("first_response_p90_seconds,7500");
    expect(lines).toContain("first_response_business_median_seconds,");
    expect(lines).toContain("backlog_oldest_waiting_seconds,5400");
  });

  it("writes series by bucket start, and the agents and inboxes tables by row", () => {
    expect(seriesCsv(["2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"], [{ name: "first_response_median_seconds", values: [60, null] }])).toBe(
      "start,first_response_median_seconds\r\n2026-12-01T00:00:00Z,60\r\n2026-12-02T00:00:00Z,\r\n",
    );
    expect(
      agentsCsv([{ id: 3, name: "@bo", assigned_tickets: 4, outbound_replies: 10, first_response_median_seconds: null, closed_tickets: 2 }]),
    ).toBe("agent_id,agent,assigned_tickets,outbound_replies,first_response_median_seconds,closed_tickets\r\n3,'@bo,4,10,,2\r\n");
    expect(
      inboxesCsv([
        {
          number: "+14155550100",
          name: "Support, US",
          new_tickets: 5,
          closed_tickets: 2,
          inbound_texts: 9,
          outbound_replies: 7,
          first_response_median_seconds: 60,
          resolution_median_seconds: null,
          open_tickets: 3,
        },
      ]).split("\r\n")[1],
    ).toBe('+14155550100,"Support, US",5,2,9,7,60,,3');
  });
});
