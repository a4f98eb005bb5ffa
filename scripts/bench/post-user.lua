-- wrk script: POST a new user per request (unique userName per thread and counter).
local counter = 0
local auth = "Bearer " .. os.getenv("TOKEN")
-- Every run (and round) gets fresh names: seed from the clock, not Lua's fixed default.
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
setup = function(thread) thread:set("tid", tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9))) end
request = function()
  counter = counter + 1
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bench-' .. tid .. '-' .. counter .. '"}'
  return wrk.format("POST", "/scim/v2/Users", { ["Authorization"] = auth, ["Content-Type"] = "application/scim+json" }, body)
end
