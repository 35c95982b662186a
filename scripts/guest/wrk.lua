-- wrk script for make bench: optional pipelining, Connection: close and
-- a Range header (WRK_RANGE, e.g. "bytes=0-4095"), and one machine-readable
-- summary line with the percentiles we report.
--
-- The request stays static: wrk builds it once per thread with
-- wrk.format() and never calls into Lua per request.  A global request()
-- function would make wrk call Lua on every write, and wrk's own CPU is
-- already what limits these runs.  For pipelining, wrk.format is made to
-- return DEPTH requests back to back; wrk counts them as DEPTH requests.
local depth = tonumber(os.getenv("WRK_PIPELINE") or "1")
local path = os.getenv("WRK_PATH") or "/"
local close = os.getenv("WRK_CLOSE") == "1"
local range = os.getenv("WRK_RANGE") or ""

init = function(args)
	if close then
		wrk.headers["Connection"] = "close"
	end
	if range ~= "" then
		wrk.headers["Range"] = range
	end
	local format = wrk.format
	local r = {}
	for i = 1, depth do
		r[i] = format("GET", path)
	end
	local req = table.concat(r)
	-- wrk.init calls wrk.format() after this to build the static request
	wrk.format = function() return req end
end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK,%d,%d,%d,%d,%d,%d,%d,%d,%d\n",
		summary.requests, summary.duration,
		e.connect + e.read + e.write + e.timeout, e.status,
		latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency:percentile(99.9),
		summary.bytes))
end
