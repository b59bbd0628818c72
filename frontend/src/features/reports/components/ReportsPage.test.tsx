import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, http, recordRequests, server } from "../../../testing/server";
import type { ReportSummary, TimeseriesMetric } from "../api/reports";
import { isoDate } from "../period";
import { agentRows, inboxRows, reportSummary, timeseries } from "../testing";

// uPlot draws on a canvas, which jsdom has not: a stand-in that only marks where the chart goes.
vi.mock("uplot", () => {
  class FakePlot {
    width = 600;
    constructor(_options: unknown, _data: unknown, target: HTMLElement) {
      target.append(document.createElement("canvas"));
    }
    setSize() {
      return undefined;
    }
    destroy() {
      return undefined;
    }
    static tzDate(date: Date) {
      return date;
    }
  }
  return { default: FakePlot };
});

function reports({ summary = reportSummary(), agents = agentRows } = {}) {
  server.use(
    http.get("/api/reports/summary", () => HttpResponse.json(summary)),
    http.get("/api/reports/timeseries", ({ request }) => {
      const url = new URL(request.url);
      const bucket = url.searchParams.get("bucket") === "hour" ? "hour" : "day";
      return HttpResponse.json(timeseries(url.searchParams.get("metric") as TimeseriesMetric, bucket));
    }),
    http.get("/api/reports/agents", () => HttpResponse.json({ period: summary.period, agents })),
    http.get("/api/reports/inboxes", () => HttpResponse.json({ period: summary.period, inboxes: inboxRows })),
  );
}

function asAdmin() {
  server.use(
    http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
    http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
  );
}

function daysAgo(days: number): string {
  const now = new Date();
  return isoDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() - days));
}

/** A Blob's text (jsdom's Blob has no `text()`). */
function blobText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      resolve(reader.result as string);
    };
    reader.onerror = () => {
      reject(new Error("unreadable blob"));
    };
    reader.readAsText(blob);
  });
}

/** The query of the last request in `requests`, as a plain object. */
function lastQuery(requests: { url: URL }[]): Record<string, string> {
  const last = requests.at(-1);
  if (!last) throw new Error("no request yet");
  return Object.fromEntries(last.url.searchParams);
}

/** The app at `route` once the reports page (a lazy chunk, slow to load the first time) is on screen. */
async function openReports(route: string) {
  const view = renderApp(route);
  await screen.findByRole("heading", { level: 1, name: "Reports" }, { timeout: 10_000 });
  return view;
}

function tile(label: string): HTMLElement {
  const term = screen.getByText(label, { selector: "dt" });
  const parent = term.parentElement;
  if (!parent) throw new Error(`no tile for ${label}`);
  return parent;
}

describe("reports page", () => {
  it("is in the navigation and sends the chosen period, inbox, agent and bucket", async () => {
    asAdmin();
    reports();
    const summaries = recordRequests("GET", "/api/reports/summary");
    const series = recordRequests("GET", "/api/reports/timeseries");
    const { user } = renderApp("/");
    await user.click(await within(await screen.findByRole("navigation", { name: "Main" })).findByRole("link", { name: "Reports" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Reports" }, { timeout: 10_000 })).toBeInTheDocument();

    // 7 days by default, counted by day.
    await waitFor(() => {
      expect(lastQuery(summaries)).toEqual({ from: daysAgo(6), to: daysAgo(0) });
    });
    await waitFor(() => {
      expect(series.map((request) => request.url.searchParams.get("metric")).sort()).toEqual([
        "first_response_median",
        "inbound_texts",
        "new_tickets",
        "outbound_replies",
      ]);
    });
    expect(lastQuery(series)).toMatchObject({ bucket: "day", from: daysAgo(6), to: daysAgo(0) });

    await user.click(screen.getByRole("radio", { name: "30 days" }));
    await waitFor(() => {
      expect(lastQuery(summaries)).toEqual({ from: daysAgo(29), to: daysAgo(0) });
    });

    // Today is counted by the hour.
    await user.click(screen.getByRole("radio", { name: "Today" }));
    await waitFor(() => {
      expect(lastQuery(series)).toMatchObject({ bucket: "hour", from: daysAgo(0), to: daysAgo(0) });
    });
    await user.click(screen.getByRole("radio", { name: "Day" }));
    await waitFor(() => {
      expect(lastQuery(series)).toMatchObject({ bucket: "day", from: daysAgo(0), to: daysAgo(0) });
    });

    // Custom starts from the period on screen; over 31 days there are no hours.
    await user.click(screen.getByRole("radio", { name: "Custom" }));
    const from = screen.getByLabelText("From");
    expect(from).toHaveValue(daysAgo(0));
    fireEvent.change(from, { target: { value: "2026-01-01" } });
    fireEvent.change(screen.getByLabelText("To"), { target: { value: "2026-03-15" } });
    await waitFor(() => {
      expect(lastQuery(summaries)).toEqual({ from: "2026-01-01", to: "2026-03-15" });
    });
    expect(screen.getByRole("radio", { name: "Hour" })).toBeDisabled();
    expect(screen.getByRole("group", { name: "Charts by" })).toHaveAccessibleDescription("By hour for periods up to 31 days.");

    // Dates the wrong way round ask nothing and say why.
    const asked = summaries.length;
    fireEvent.change(screen.getByLabelText("To"), { target: { value: "2025-12-31" } });
    expect(await screen.findByRole("alert")).toHaveTextContent("“From” must be on or before “To”.");
    expect(summaries).toHaveLength(asked);
    fireEvent.change(screen.getByLabelText("To"), { target: { value: "2026-01-31" } });

    await user.selectOptions(screen.getByRole("combobox", { name: "Inbox" }), "+14155550100");
    await user.selectOptions(await screen.findByRole("combobox", { name: "Agent" }), "Bo Builder");
    await waitFor(() => {
      expect(lastQuery(summaries)).toEqual({ from: "2026-01-01", to: "2026-01-31", inbox: "+14155550100", agent: "3" });
    });
    // Customer texts have no agent: that series is not asked for one.
    await waitFor(() => {
      expect(lastQuery(series)).toMatchObject({ agent: "3", bucket: "day" });
    });
    expect(series.filter((request) => request.url.searchParams.get("agent") === "3").map((r) => r.url.searchParams.get("metric"))).not.toContain(
      "inbound_texts",
    );
  }, 30_000);

  it("shows the summary as tiles with counts and short durations", async () => {
    reports({
      summary: reportSummary({ first_response_business_seconds: { median: 90, p90: 3600, count: 1 } }),
    });
    await openReports("/reports");
    await screen.findByText("New tickets", { selector: "dt" });
    expect(tile("New tickets")).toHaveTextContent("1,234");
    expect(tile("Closed")).toHaveTextContent("40");
    expect(tile("Closed")).toHaveTextContent("6 closed automatically");
    expect(tile("Inbound texts")).toHaveTextContent("2,500");
    expect(tile("Replies")).toHaveTextContent("1,800");
    expect(tile("Automatic replies")).toHaveTextContent("1,300");
    expect(tile("Notes")).toHaveTextContent("12");
    expect(tile("First response (median)")).toHaveTextContent("4 min");
    expect(tile("First response (median)")).toHaveTextContent("p90 2 h 5 min · 900 tickets");
    expect(tile("First response in business hours (median)")).toHaveTextContent("2 minp90 1 h · 1 ticket");
    expect(tile("Resolution (median)")).toHaveTextContent("1 d 2 h");
    expect(tile("Open now")).toHaveTextContent("31 pending");
    expect(tile("Oldest waiting")).toHaveTextContent("1 h 30 min");
    expect(screen.getByText("Dec 1, 2026 – Dec 7, 2026 · times in UTC")).toBeInTheDocument();
  });

  it("says which figures have no agent, and leaves out business hours when there are none", async () => {
    const summary: ReportSummary = reportSummary({
      inbound_texts: null,
      automatic_replies: null,
      first_response_seconds: { median: null, p90: null, count: 0 },
      backlog: { open: 0, pending: 0, oldest_waiting_seconds: null },
    });
    reports({ summary });
    await openReports("/reports");
    await screen.findByText("New tickets", { selector: "dt" });
    expect(tile("Inbound texts")).toHaveTextContent("—Not counted per agent");
    expect(tile("Automatic replies")).toHaveTextContent("—Not counted per agent");
    expect(tile("First response (median)")).toHaveTextContent("—No tickets in the period");
    expect(tile("Oldest waiting")).toHaveTextContent("—No customer waiting");
    expect(screen.queryByText("First response in business hours (median)")).not.toBeInTheDocument();
  });

  it("backs each chart with a table of its points", async () => {
    reports();
    const { user } = await openReports("/reports");
    const volume = await screen.findByRole("figure", { name: "Volume" });
    expect(within(volume).getByRole("img")).toHaveAccessibleName(
      "Line chart of volume by day (7 days): 28 new tickets, 28 inbound texts, 28 replies in all. “Show table” below it lists every day.",
    );
    await user.click(within(volume).getByText("Show table"));
    const rows = within(volume).getAllByRole("row");
    expect(rows[0]).toHaveTextContent("DayNew ticketsInbound textsReplies");
    expect(rows[1]).toHaveTextContent("Tue, Dec 1111");
    expect(rows).toHaveLength(8);

    const response = screen.getByRole("figure", { name: "First response (median)" });
    await user.click(within(response).getByText("Show table"));
    const responseRows = within(response).getAllByRole("row");
    expect(responseRows[1]).toHaveTextContent("Tue, Dec 11 min");
    expect(responseRows[2]).toHaveTextContent("Wed, Dec 2—");
  });

  it("shows an agent their own row only and no agent filter", async () => {
    reports({ agents: agentRows.slice(0, 1) });
    const summaries = recordRequests("GET", "/api/reports/summary");
    const agents = recordRequests("GET", "/api/reports/agents");
    await openReports("/reports?agent=3");
    const mine = await screen.findByRole("region", { name: "Your figures" });
    const rows = await within(mine).findAllByRole("row");
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveTextContent("Ana Agent4102 min2");
    expect(screen.queryByRole("combobox", { name: "Agent" })).not.toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "Inbox" })).toBeInTheDocument();
    // An agent in the address is not the viewer's to choose.
    expect(lastQuery(summaries)).not.toHaveProperty("agent");
    expect(lastQuery(agents)).not.toHaveProperty("agent");
    expect(await screen.findByRole("region", { name: "Inboxes" })).toHaveTextContent("Support +1 415-555-0100");
  });

  it("downloads each part as CSV built from the answers", async () => {
    asAdmin();
    reports({ agents: [...agentRows, { ...agentRows[0], id: 9, name: "=cmd()" } as (typeof agentRows)[number]] });
    const files: { name: string; blob: Blob }[] = [];
    let pending: Blob | null = null;
    vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
      pending = blob as Blob;
      return "blob:report";
    });
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      if (pending) files.push({ name: this.download, blob: pending });
    });
    const { user } = await openReports("/reports?range=custom&from=2026-12-01&to=2026-12-07");

    await user.click(await screen.findByRole("button", { name: "Download CSV of the agents" }));
    await user.click(screen.getByRole("button", { name: "Download CSV of the inboxes" }));
    await user.click(screen.getByRole("button", { name: "Download CSV of the summary" }));
    await user.click(await screen.findByRole("button", { name: "Download CSV of volume" }));
    await user.click(screen.getByRole("button", { name: "Download CSV of first response" }));

    expect(files.map((file) => file.name)).toEqual([
      "smsdesk-agents-2026-12-01-to-2026-12-07.csv",
      "smsdesk-inboxes-2026-12-01-to-2026-12-07.csv",
      "smsdesk-summary-2026-12-01-to-2026-12-07.csv",
      "smsdesk-volume-by-day-2026-12-01-to-2026-12-07.csv",
      "smsdesk-first-response-by-day-2026-12-01-to-2026-12-07.csv",
    ]);
    const [agentsFile, inboxesFile, summaryFile, volumeFile, responseFile] = await Promise.all(files.map((file) => blobText(file.blob)));
    expect(agentsFile).toBe(
      "agent_id,agent,assigned_tickets,outbound_replies,first_response_median_seconds,closed_tickets\r\n" +
        "1,Ana Agent,4,10,120,2\r\n3,Bo Builder,7,21,,5\r\n9,'=cmd(),4,10,120,2\r\n",
    );
    expect(inboxesFile?.split("\r\n")[1]).toBe("+14155550100,Support,5,2,9,7,60,3600,3");
    expect(summaryFile).toContain("figure,value\r\nfrom,2026-12-01T00:00:00Z\r\n");
    expect(summaryFile).toContain("\r\ninbox,\r\nagent,\r\nnew_tickets,1234\r\n");
    expect(volumeFile?.split("\r\n").slice(0, 3)).toEqual([
      "start,new_tickets,inbound_texts,outbound_replies",
      "2026-12-01T00:00:00Z,1,1,1",
      "2026-12-02T00:00:00Z,2,2,2",
    ]);
    expect(responseFile?.split("\r\n").slice(0, 3)).toEqual([
      "start,first_response_median_seconds",
      "2026-12-01T00:00:00Z,60",
      "2026-12-02T00:00:00Z,",
    ]);
  });
});
