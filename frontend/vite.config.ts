import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The backend (cargo run) listens here in development; it serves dist/ itself in production.
const backend = "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": backend,
      "/webhooks": backend,
      "/healthz": backend,
    },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/testing/setup.ts"],
    // Only component tests: Playwright's specs live in e2e/ and run with their own runner.
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
