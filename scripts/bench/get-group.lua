-- wrk script: GET group $GROUP_ID?excludedAttributes=members (what a client reads of a group it does not enumerate).
local auth = "Bearer " .. os.getenv("TOKEN")
local path = "/scim/v2/Groups/" .. os.getenv("GROUP_ID") .. "?excludedAttributes=members"
request = function() return wrk.format("GET", path, { ["Authorization"] = auth }) end
