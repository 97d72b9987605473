-- wrk script: cycles through the namespaces in PRISM_NAMESPACES (comma-separated) in the
-- X-Prism-Namespace header and prints exact latency percentiles (microseconds) as one JSON line.
-- With a single namespace the header is set once, so wrk spends no Lua time per request.
local names = {}
for n in string.gmatch(os.getenv("PRISM_NAMESPACES") or "bench-0", "[^,]+") do names[#names + 1] = n end
if #names == 1 then
  wrk.headers["X-Prism-Namespace"] = names[1]
else
  local i = 0
  request = function()
    i = i + 1
    wrk.headers["X-Prism-Namespace"] = names[(i % #names) + 1]
    return wrk.format(nil, "/")
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50":%d,"p90":%d,"p99":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
