-- wrk script: GET /ServiceProviderConfig (authenticated, no directory access): the HTTP layer's own cost.
local auth = "Bearer " .. os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/scim/v2/ServiceProviderConfig", { ["Authorization"] = auth })
end
