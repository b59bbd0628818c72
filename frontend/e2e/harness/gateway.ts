// A stand-in for Twilio's Programmable Messaging API, on 127.0.0.1: smsdesk sends its texts here
// (TWILIO_API_BASE). It answers like Twilio (201 with a new SM… sid), remembers every request, and lets the
// tests read what it received through a small control API under /_e2e/.
//
//   POST /2010-04-01/Accounts/{sid}/Messages.json   Twilio's CreateMessage (form: To, From, Body, StatusCallback)
//   GET  /_e2e/sent                                 every text received so far, oldest first (JSON)
//   POST /_e2e/numbers                              a customer phone number no test has used yet (JSON)
//   POST /_e2e/outage                               {"to", "times"}: the next `times` texts to `to` get Twilio's 503
//
// It runs in Playwright's runner process (global setup), so it outlives test workers; tests reach it over HTTP.

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request smsdesk made to send a text. */
export interface SentSms {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  /** Whether HTTP basic auth carried the account SID and auth token. */
  authorized: boolean;
  receivedAt: string;
}

export interface Gateway {
  url: string;
  close: () => Promise<void>;
}

export function newMessageSid(): string {
  return `SM${randomBytes(16).toString("hex")}`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    request.on("error", reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

export async function startGateway({ accountSid, authToken }: { accountSid: string; authToken: string }): Promise<Gateway> {
  const sent: SentSms[] = [];
  const messagesPath = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
  // 555-01xx is reserved for fiction; 555-1000 and up are plenty of distinct, well-formed numbers for one run.
  let nextNumber = 1000;
  // An outage for one customer number at a time (tests share the gateway): how many more sends to refuse.
  const outages = new Map<string, number>();

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://gateway.invalid");
      if (request.method === "POST" && url.pathname === messagesPath) {
        const form = new URLSearchParams(await readBody(request));
        const authorized = request.headers.authorization === expectedAuth;
        if (!authorized) {
          json(response, 401, { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 });
          return;
        }
        const to = form.get("To") ?? "";
        const refusalsLeft = outages.get(to) ?? 0;
        if (refusalsLeft > 0) {
          outages.set(to, refusalsLeft - 1);
          json(response, 503, { code: 20503, message: "Service Unavailable", more_info: "https://www.twilio.com/docs/errors/20503", status: 503 });
          return;
        }
        const from = form.get("From") ?? "";
        const body = form.get("Body") ?? "";
        const sid = newMessageSid();
        sent.push({ sid, to, from, body, statusCallback: form.get("StatusCallback"), authorized, receivedAt: new Date().toISOString() });
        const now = new Date().toUTCString();
        json(response, 201, {
          account_sid: accountSid,
          api_version: "2010-04-01",
          body,
          date_created: now,
          date_sent: null,
          date_updated: now,
          direction: "outbound-api",
          error_code: null,
          error_message: null,
          from,
          messaging_service_sid: null,
          num_media: "0",
          num_segments: "1",
          price: null,
          price_unit: "USD",
          sid,
          status: "queued",
          subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
          to,
          uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
        });
        return;
      }
      if (request.method === "GET" && url.pathname === "/_e2e/sent") {
        json(response, 200, sent);
        return;
      }
      if (request.method === "POST" && url.pathname === "/_e2e/outage") {
        const { to, times } = JSON.parse(await readBody(request)) as { to: string; times: number };
        outages.set(to, times);
        json(response, 200, { to, times });
        return;
      }
      if (request.method === "POST" && url.pathname === "/_e2e/numbers") {
        json(response, 200, { number: `+1415555${String(nextNumber++)}` });
        return;
      }
      json(response, 404, { code: 20404, message: `The requested resource ${url.pathname} was not found`, status: 404 });
    })().catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
