import { describe, expect, it } from "vitest";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../testing/server";
import { ApiError, api, setCsrfToken, unwrap } from "./api-client";

describe("api client", () => {
  it("sends the CSRF token on state-changing requests only", async () => {
    const reads = recordRequests("GET", "/api/team");
    const writes = recordRequests("POST", "/api/tickets/5/read");
    setCsrfToken("token-123");
    await unwrap(api.GET("/api/team"));
    await unwrap(api.POST("/api/tickets/{id}/read", { params: { path: { id: 5 } } }));
    expect(reads[0]?.headers.get("X-CSRF-Token")).toBeNull();
    expect(writes[0]?.headers.get("X-CSRF-Token")).toBe("token-123");
  });

  it("throws an ApiError with the server's code, message and status", async () => {
    server.use(http.get("/api/tickets/7", () => errorResponse(404, "not_found", "There is no ticket 7.")));
    const error = await unwrap(api.GET("/api/tickets/{id}", { params: { path: { id: 7 } } })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: "not_found", message: "There is no ticket 7." });
  });

  it("still throws a readable ApiError when the answer is not the API's JSON (a proxy's error page)", async () => {
    server.use(http.get("/api/team", () => new HttpResponse("<html>Bad gateway</html>", { status: 502 })));
    await expect(unwrap(api.GET("/api/team"))).rejects.toMatchObject({ status: 502, code: "server_error" });
  });

  it("turns a network failure into an ApiError with status 0", async () => {
    server.use(http.get("/api/team", () => HttpResponse.error()));
    await expect(unwrap(api.GET("/api/team"))).rejects.toMatchObject({ status: 0, code: "network_error" });
  });
});
