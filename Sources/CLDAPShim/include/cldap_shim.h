/* Small C helpers for what Swift cannot call directly in libldap/liblber:
 * variadic ber_printf/ber_scanf and the LDAP_OPT_ON/OFF pointer macros; also the epoll and eventfd headers. */
#ifndef CLDAP_SHIM_H
#define CLDAP_SHIM_H

#include <lber.h>
#include <ldap.h>
/* For LDAPReactor: Swift's Glibc module does not carry epoll and eventfd. */
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* ldap_set_option for boolean options (LDAP_OPT_REFERRALS, LDAP_OPT_RESTART, ...). */
int cldap_set_bool_option(LDAP *ld, int option, int on);

/* Adds liblber's read-ahead layer above the connection's socket: a reply is then taken from the socket in one
 * read instead of a header read and a body read per message. 0 on success. */
int cldap_add_readahead(LDAP *ld);

/* Encodes an AttributeSelection (SEQUENCE OF LDAPString) for the Pre-/Post-Read request controls
 * (RFC 4527). `attrs` is NULL-terminated. On success *out holds a value to free with ber_memfree(out->bv_val). */
int cldap_encode_attribute_selection(char **attrs, struct berval *out);

/* One attribute of an entry returned in a Pre-/Post-Read response control. */
typedef struct cldap_read_attr {
    struct berval name;     /* allocated */
    struct berval *values;  /* allocated array of `count` values */
    int count;
} cldap_read_attr;

/* Parses the SearchResultEntry carried by a Pre-/Post-Read response control.
 * On success *dn, *attrs and *nattrs are allocated; free them with cldap_free_read_entry. */
int cldap_parse_read_entry(const struct berval *value, struct berval *dn,
                           cldap_read_attr **attrs, int *nattrs);
void cldap_free_read_entry(struct berval *dn, cldap_read_attr *attrs, int nattrs);

/* RFC 4533 content synchronisation. */

/* Encodes a Sync Request control value: SEQUENCE { mode ENUMERATED, cookie OCTET STRING OPTIONAL,
 * reloadHint BOOLEAN DEFAULT FALSE }. `cookie` may be NULL. Free out->bv_val with ber_memfree. */
int cldap_encode_sync_request(int mode, const struct berval *cookie, int reload_hint, struct berval *out);

/* Parses a Sync State control value: SEQUENCE { state ENUMERATED, entryUUID OCTET STRING, cookie OCTET STRING
 * OPTIONAL }. *uuid and *cookie are allocated (bv_val NULL when absent); free with ber_memfree. */
int cldap_parse_sync_state(const struct berval *value, int *state, struct berval *uuid, struct berval *cookie);

/* Parses a Sync Info message value (the intermediate response's data). *kind is the CHOICE tag number:
 * 0 newcookie, 1 refreshDelete, 2 refreshPresent, 3 syncIdSet. *cookie is allocated when present (bv_val NULL
 * otherwise); *done holds refreshDone (kinds 1, 2) or refreshDeletes (kind 3); *uuids is an allocated,
 * NULL-terminated array for kind 3 (free with ber_bvarray_free). */
int cldap_parse_sync_info(const struct berval *value, int *kind, struct berval *cookie, int *done, BerVarray *uuids);

/* Parses a Sync Done control value: SEQUENCE { cookie OCTET STRING OPTIONAL, refreshDeletes BOOLEAN DEFAULT
 * FALSE }. */
int cldap_parse_sync_done(const struct berval *value, struct berval *cookie, int *refresh_deletes);

#endif
