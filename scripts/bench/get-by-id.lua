-- wrk script: GET a random user by id (ids from $IDS_FILE, one per line).
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local auth = "Bearer " .. os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/scim/v2/Users/" .. ids[math.random(#ids)], { ["Authorization"] = auth })
end
