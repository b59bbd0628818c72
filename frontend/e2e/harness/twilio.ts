// Twilio's side of smsdesk's webhooks, as the tests and the benchmark send them: the signature, the inbound
// SMS form, and the signed POST.

import { createHmac } from "node:crypto";
import { ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER } from "./constants.ts";
import { newMessageSid } from "./gateway.ts";

/** Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth token, url + each param name and value, sorted by name)). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** Posts a signed Twilio webhook to `baseUrl` + `path` (the server's PUBLIC_URL), as Twilio would. */
export function postTwilio(baseUrl: string, path: string, params: Record<string, string>): Promise<Response> {
  const url = `${baseUrl}${path}`;
  return fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "X-Twilio-Signature": twilioSignature(AUTH_TOKEN, url, params),
      "User-Agent": "TwilioProxy/1.1",
    },
    body: new URLSearchParams(params).toString(),
  });
}

/** The form of Twilio's "A message comes in" webhook for a text from `from` to our number. */
export function inboundSmsParams({ from, body }: { from: string; body: string }): Record<string, string> {
  const sid = newMessageSid();
  return {
    AccountSid: ACCOUNT_SID,
    ApiVersion: "2010-04-01",
    Body: body,
    From: from,
    MessageSid: sid,
    NumMedia: "0",
    NumSegments: "1",
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: "received",
    To: OUR_NUMBER,
  };
}
