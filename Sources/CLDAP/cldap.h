/* OpenLDAP's client library as one Swift module. Do not define LDAP_DEPRECATED. */
#include <lber.h>
#include <ldap.h>
