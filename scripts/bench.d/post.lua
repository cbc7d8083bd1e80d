-- wrk script: POST a small JSON body, like a typical webhook delivery.
-- With FISH_BENCH_HOOKS (a file of hook paths, one a line) each request
-- goes to the next path in turn, spreading messages over many hooks.
wrk.method = "POST"
wrk.body = '{"event":"order.created","id":12345,"region_id":7}'
wrk.headers["Content-Type"] = "application/json"

local paths = nil
local file = os.getenv("FISH_BENCH_HOOKS")
if file and file ~= "" then
	paths = {}
	for line in io.lines(file) do
		paths[#paths + 1] = line
	end
end

-- A global, so that setup() can start each thread at a different place.
next_path = 0

function setup(thread)
	thread:set("next_path", math.random(1, 1000000))
end

function request()
	if paths then
		next_path = next_path + 1
		return wrk.format(nil, paths[next_path % #paths + 1])
	end
	return wrk.format()
end
