-- wrk script for the docroot points of make bench (scripts/bench.sh
-- docroot): a request chosen at random for every request, from
--   WRK_SET=N, WRK_SETFMT=FMT   N distinct paths, FMT formatted with 0..N-1
--                               (e.g. "/s/%04d.bin"): a working set of files
--   WRK_RANGE_LEN=L, WRK_RANGE_SIZE=S  of WRK_PATH, a Range of L bytes at a
--                               random offset in a file of S bytes
-- and the same machine-readable summary line as wrk.lua.
--
-- wrk calls request() for every request, so every request costs wrk a
-- call into Lua; the requests are formatted once per thread at init, and
-- request() only picks one of them, to keep that call cheap.  wrk's cost
-- does not count in the server's CPU per request (the server's vCPUs'
-- own instruction count), only in req/s.
local set = tonumber(os.getenv("WRK_SET") or "") or 0
local setfmt = os.getenv("WRK_SETFMT") or "/s/%04d.bin"
local path = os.getenv("WRK_PATH") or "/"
local rlen = tonumber(os.getenv("WRK_RANGE_LEN") or "") or 0
local rsize = tonumber(os.getenv("WRK_RANGE_SIZE") or "") or 0
-- distinct random ranges formatted per thread
local NRANGES = 4096

local n = 0
setup = function(thread)
	n = n + 1
	thread:set("id", n)
end

local reqs = {}
init = function(args)
	-- each thread its own sequence (id is set by setup, per thread)
	math.randomseed(1000003 * (id or 0) + 17)
	if set > 0 then
		for i = 0, set - 1 do
			reqs[#reqs + 1] = wrk.format("GET", string.format(setfmt, i))
		end
	elseif rlen > 0 and rsize >= rlen then
		for i = 1, NRANGES do
			local first = math.random(0, rsize - rlen)
			reqs[i] = wrk.format("GET", path, {
				["Range"] = string.format("bytes=%d-%d", first, first + rlen - 1) })
		end
	else
		error("wrk-docroot.lua: set WRK_SET or WRK_RANGE_LEN and WRK_RANGE_SIZE")
	end
end

request = function()
	return reqs[math.random(#reqs)]
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
