import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import * as fixtures from "../../../testing/fixtures";
import { HttpResponse, http, recordRequests, server } from "../../../testing/server";
import { mergeMessages, threadQuery } from "./messages";

describe("mergeMessages", () => {
  it("adds new messages, replaces changed ones by id and keeps the thread oldest first", () => {
    const first = fixtures.message({ id: 1, created_at: fixtures.minutesAgo(10), updated_at: fixtures.minutesAgo(10) });
    const queued = fixtures.message({
      id: 2,
      direction: "outbound",
      delivery_status: "queued",
      created_at: fixtures.minutesAgo(5),
      updated_at: fixtures.minutesAgo(5),
    });
    const delivered = { ...queued, delivery_status: "delivered" as const, updated_at: fixtures.minutesAgo(4) };
    const newest = fixtures.message({ id: 3, created_at: fixtures.minutesAgo(1), updated_at: fixtures.minutesAgo(1) });

    const merged = mergeMessages([first, queued], [newest, delivered, delivered]);
    expect(merged.map((message) => message.id)).toEqual([1, 2, 3]);
    expect(merged[1]?.delivery_status).toBe("delivered");
  });

  it("keeps the newer copy when an older change arrives late", () => {
    const delivered = fixtures.message({ id: 2, direction: "outbound", delivery_status: "delivered", updated_at: fixtures.minutesAgo(1) });
    const stale = { ...delivered, delivery_status: "sent" as const, updated_at: fixtures.minutesAgo(2) };
    expect(mergeMessages([delivered], [stale])[0]?.delivery_status).toBe("delivered");
  });
});

describe("threadQuery", () => {
  it("loads the whole thread first, then asks only for changes after the cursor and merges them", async () => {
    const requests = recordRequests("GET", "/api/tickets/42/messages");
    const hello = fixtures.message({ id: 1, body: "Hello", created_at: fixtures.minutesAgo(3), updated_at: fixtures.minutesAgo(3) });
    const reply = fixtures.message({
      id: 2,
      direction: "outbound",
      body: "Hi!",
      delivery_status: "sent",
      created_at: fixtures.minutesAgo(2),
      updated_at: fixtures.minutesAgo(2),
    });
    server.use(
      http.get("/api/tickets/42/messages", ({ request }) => {
        const after = new URL(request.url).searchParams.get("after");
        if (after === null) return HttpResponse.json({ messages: [hello, reply], cursor: "c1" });
        if (after === "c1") {
          return HttpResponse.json({
            messages: [{ ...reply, delivery_status: "delivered", updated_at: fixtures.minutesAgo(1) }, fixtures.message({ id: 3, body: "Thanks", created_at: fixtures.minutesAgo(0) })],
            cursor: "c2",
          });
        }
        return HttpResponse.json({ messages: [], cursor: after });
      }),
    );
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const options = { ...threadQuery(42), staleTime: 0 };

    const first = await queryClient.query(options);
    expect(first.messages.map((message) => message.body)).toEqual(["Hello", "Hi!"]);

    const second = await queryClient.query(options);
    expect(second.cursor).toBe("c2");
    expect(second.messages.map((message) => message.body)).toEqual(["Hello", "Hi!", "Thanks"]);
    expect(second.messages[1]?.delivery_status).toBe("delivered");

    const third = await queryClient.query(options);
    expect(third.messages).toHaveLength(3);
    expect(requests.map((request) => request.url.searchParams.get("after"))).toEqual([null, "c1", "c2"]);
  });
});
