-- wrk script: POST a new user per request to a SCIM target (scim2-server), unique userName per thread and counter.
local counter = 0
local auth = "Bearer " .. os.getenv("TARGET_TOKEN")
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
setup = function(thread) thread:set("tid", tostring(math.random(1, 1e9))) end
request = function()
  counter = counter + 1
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"raw-' .. tid .. '-' .. counter ..
    '","name":{"givenName":"Raw","familyName":"Post"},"displayName":"Raw Post","emails":[{"value":"raw-' .. tid .. '-' ..
    counter .. '@example.org","type":"work","primary":true}],"active":true,"externalId":"raw-' .. tid .. '-' .. counter .. '"}'
  return wrk.format("POST", "/Users", { ["Authorization"] = auth, ["Content-Type"] = "application/scim+json" }, body)
end
