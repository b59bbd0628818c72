-- wrk script: POSTs the signed webhooks in $TEXTS (lines of "<signature>\t<form body>", see sign_texts.py) to
-- /webhooks/twilio, each once: thread i of $WRK_THREADS sends lines i, i+n, i+2n, ... A thread that runs out
-- stops rather than send a text twice (a replayed message id is a cheap duplicate, not ingest), so the file
-- must hold more texts than the run can send.

local next_index = 0

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
end

function init(args)
  local total = tonumber(os.getenv("WRK_THREADS") or "1")
  requests = {}
  local n = 0
  for line in io.lines(os.getenv("TEXTS")) do
    if n % total == index then
      local signature, body = line:match("^([^\t]+)\t(.*)$")
      table.insert(requests, wrk.format("POST", "/webhooks/twilio", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body))
    end
    n = n + 1
  end
  position = 0
end

function request()
  position = position + 1
  if position > #requests then
    wrk.thread:stop()
    return requests[#requests]
  end
  return requests[position]
end
