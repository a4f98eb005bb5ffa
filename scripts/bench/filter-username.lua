-- wrk script: GET /Users?filter=userName eq "<random uid>" (uids from $UIDS_FILE).
local uids = {}
for line in io.lines(os.getenv("UIDS_FILE")) do uids[#uids + 1] = line end
local auth = "Bearer " .. os.getenv("TOKEN")
request = function()
  local path = "/scim/v2/Users?filter=userName%20eq%20%22" .. uids[math.random(#uids)] .. "%22"
  return wrk.format("GET", path, { ["Authorization"] = auth })
end
