-- wrk script: PATCH group $GROUP_ID?excludedAttributes=members, alternately adding a member (ids of users not in
-- the group, from $JOINERS_FILE) and removing it again, so every request is one real membership change.
local joiners = {}
for line in io.lines(os.getenv("JOINERS_FILE")) do joiners[#joiners + 1] = line end
local auth = "Bearer " .. os.getenv("TOKEN")
local group = os.getenv("GROUP_ID")
local step = 0
local pick = 1
request = function()
  local op
  if step % 2 == 0 then
    pick = math.random(#joiners)
    op = '{"op":"add","path":"members","value":[{"value":"' .. joiners[pick] .. '"}]}'
  else
    op = '{"op":"remove","path":"members[value eq \\"' .. joiners[pick] .. '\\"]"}'
  end
  step = step + 1
  return wrk.format("PATCH", "/scim/v2/Groups/" .. group .. "?excludedAttributes=members",
    { ["Authorization"] = auth, ["Content-Type"] = "application/scim+json" },
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' .. op .. ']}')
end
