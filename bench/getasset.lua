-- wrk script for bench/getasset: every request is the same GetAsset call.
-- The API key and asset id come from the environment (set by bench/getasset)
-- so the identical script drives both porticod and the nginx baseline; nginx
-- ignores the body and headers, which keeps the bytes on the wire the same.
local key = os.getenv("BENCH_KEY")
local id = os.getenv("BENCH_ASSET_ID")
if not key or not id then
   io.stderr:write("getasset.lua: BENCH_KEY and BENCH_ASSET_ID must be set\n")
   os.exit(2)
end

wrk.method = "POST"
wrk.path = "/v1/portrait/?Action=GetAsset&Version=2024-01-01"
wrk.body = '{"Id":"' .. id .. '"}'
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"
