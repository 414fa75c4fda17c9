-- wrk script of the smpkg benchmark (benchmarks/http.py).
--
-- Every request is a SPARQL Protocol query: POST, Content-Type application/sparql-query,
-- Accept $WRK_ACCEPT. The query texts come from the file $WRK_QUERIES (separated by a line
-- "#--SMPKG-QUERY--") and are sent in turn. With WRK_DISTINCT=1 the placeholder __NONCE__ in
-- a text becomes a token unique to the request (the run's $WRK_RUN, thread id and counter),
-- so that no two requests are alike, not even across runs. Without queries (an empty file) every request is a plain GET of the
-- URL. done() prints one JSON line with the figures.

local counter = 0
local queries = {}
local distinct = os.getenv("WRK_DISTINCT") == "1"
local run = os.getenv("WRK_RUN") or ""
local accept = os.getenv("WRK_ACCEPT") or "application/sparql-results+json"
local next_id = 1
local fixed = nil

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local function load()
  local f = assert(io.open(os.getenv("WRK_QUERIES"), "r"))
  local text = f:read("*a")
  f:close()
  if text == "" then
    return
  end
  local marker = "\n#--SMPKG-QUERY--\n"
  local start = 1
  while true do
    local i, j = string.find(text, marker, start, true)
    if not i then
      table.insert(queries, string.sub(text, start))
      break
    end
    table.insert(queries, string.sub(text, start, i - 1))
    start = j + 1
  end
end

function init(args)
  load()
  if #queries == 0 then
    fixed = wrk.format()
    return
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/sparql-query"
  wrk.headers["Accept"] = accept
  if not distinct and #queries == 1 then
    fixed = wrk.format(nil, nil, nil, queries[1])
  end
end

function request()
  if fixed then
    return fixed
  end
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  if distinct then
    local nonce = "n" .. run .. "-" .. tostring(tid or 0) .. "-" .. tostring(counter)
    q = (string.gsub(q, "__NONCE__", nonce))
  end
  return wrk.format(nil, nil, nil, q)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %.0f, "duration_us": %.0f, "bytes": %.0f, ' ..
    '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, ' ..
    '"p50_us": %.0f, "p90_us": %.0f, "p99_us": %.0f, "mean_us": %.1f, "max_us": %.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
