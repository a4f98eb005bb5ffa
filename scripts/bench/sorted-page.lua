-- wrk script: the sorted window GET /Users?sortBy=userName&startIndex=$START&count=100.
local auth = "Bearer " .. os.getenv("TOKEN")
local path = "/scim/v2/Users?sortBy=userName&startIndex=" .. (os.getenv("START") or "5000") .. "&count=100&attributes=userName"
request = function() return wrk.format("GET", path, { ["Authorization"] = auth }) end
