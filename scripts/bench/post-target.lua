-- wrk script: POST a new user per request to a SCIM target (scim2-server), unique userName per thread and counter.
-- The body has the shape of the users the provisioning benchmark sends (core User + enterprise employeeNumber).
local counter = 0
local auth = "Bearer " .. os.getenv("TARGET_TOKEN")
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
setup = function(thread) thread:set("tid", tostring(math.random(1, 1e9))) end
request = function()
  counter = counter + 1
  local name = "raw-" .. tid .. "-" .. counter
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",' ..
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"' .. name ..
    '","name":{"familyName":"Post","givenName":"Raw"},"displayName":"Raw Post","active":true,' ..
    '"emails":[{"value":"' .. name .. '@example.org","type":"work","primary":true}],' ..
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"' .. counter .. '"},' ..
    '"externalId":"' .. name .. '"}'
  return wrk.format("POST", "/Users", { ["Authorization"] = auth, ["Content-Type"] = "application/scim+json" }, body)
end
