#!/usr/bin/env python3
"""Writes signed Twilio inbound-SMS webhooks for wrk (scripts/bench/texts.lua): one per line,
`<X-Twilio-Signature>\t<form body>`, every one a distinct text (its own MessageSid).

    sign_texts.py PUBLIC_URL AUTH_TOKEN RUN COUNT NUMBERS > texts.tsv

The texts come from NUMBERS customers (phone numbers unique to RUN), interleaved: customer n sends its k-th text
after every customer has sent its (k-1)-th, so each customer's first text opens a ticket and the rest join it,
as in `make bench`. The customers' numbers are those inbound_sms.pgbench uses for the same RUN.
"""

import base64
import hashlib
import hmac
import sys
from urllib.parse import urlencode


def signature(url: str, params: dict[str, str], token: str) -> str:
    # Twilio: HMAC-SHA1 of the URL followed by each parameter's name and value, names sorted.
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def main() -> None:
    public_url, token, run, count, numbers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    url = public_url.rstrip("/") + "/webhooks/twilio"
    out = sys.stdout
    for i in range(count):
        customer = i % numbers
        params = {
            "MessageSid": f"SM{run:08x}{i:024x}",
            "AccountSid": "ACbench",
            # +1 202 555 01xx is reserved for fiction; these ranges are only well-formed, which is what a gateway
            # guarantees. Unique per run, so every run starts with new customers.
            "From": f"+1{200 + run % 700:03d}{customer:07d}",
            "To": "+14155550100",
            "Body": f"Text {i // numbers} from customer {customer}: my parcel has not arrived yet.",
            "NumMedia": "0",
        }
        out.write(f"{signature(url, params, token)}\t{urlencode(params)}\n")


if __name__ == "__main__":
    main()
