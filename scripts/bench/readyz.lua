-- wrk script: GET /readyz (one trivial LDAP search of the root DSE per request): HTTP plus one LDAP round trip.
request = function()
  return wrk.format("GET", "/readyz")
end
