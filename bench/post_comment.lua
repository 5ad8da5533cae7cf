-- wrk script: every request is a new author, article and IP, so the benchmark measures the full intake
-- path (checks, rate-limit counting, insert, enqueue) rather than the 409/429 short cuts.
local counter = 0

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  key = os.getenv("BENCH_KEY")
  run = os.getenv("BENCH_RUN") or "0"
end

request = function()
  counter = counter + 1
  local n = counter
  local body = string.format(
    '{"article_id":"a-%s-%d","author":{"id":"u-%s-%d-%d","name":"Reader","ip":"10.%d.%d.%d"},' ..
    '"body":"Comment %d from a benchmark reader, about the budget and the council."}',
    run, n % 500, run, thread_id, n, thread_id, math.floor(n / 256) % 256, n % 256, n)
  return wrk.format("POST", "/v1/comments", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "errors": %d, "non2xx": %d, "p50_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
