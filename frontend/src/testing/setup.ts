import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterAll, afterEach, beforeAll } from "vitest";
import { setCsrfToken } from "../lib/api-client";
import { server } from "./server";

// jsdom lays nothing out, so it has no scrolling.
Element.prototype.scrollIntoView = () => undefined;
window.scrollTo = () => undefined;

beforeAll(() => {
  server.listen({ onUnhandledRequest: "error" });
});

afterEach(() => {
  cleanup();
  server.resetHandlers();
  server.events.removeAllListeners();
  setCsrfToken(null);
  sessionStorage.clear();
  document.title = "";
});

afterAll(() => {
  server.close();
});
