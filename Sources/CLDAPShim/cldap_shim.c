#include "cldap_shim.h"
#include <stdlib.h>
#include <string.h>

int cldap_set_bool_option(LDAP *ld, int option, int on) {
    return ldap_set_option(ld, option, on ? LDAP_OPT_ON : LDAP_OPT_OFF);
}

int cldap_add_readahead(LDAP *ld) {
    Sockbuf *sb = NULL;
    if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || sb == NULL) return -1;
    return ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, NULL);
}

int cldap_encode_attribute_selection(char **attrs, struct berval *out) {
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (ber == NULL) return LDAP_NO_MEMORY;
    int rc = LDAP_SUCCESS;
    if (ber_printf(ber, "{v}", attrs) == -1 || ber_flatten2(ber, out, 1) == -1) {
        rc = LDAP_ENCODING_ERROR;
    }
    ber_free(ber, 1);
    return rc;
}

static int copy_berval(const struct berval *src, struct berval *dst) {
    dst->bv_len = src->bv_len;
    dst->bv_val = malloc(src->bv_len + 1);
    if (dst->bv_val == NULL) return -1;
    if (src->bv_len > 0) memcpy(dst->bv_val, src->bv_val, src->bv_len);
    dst->bv_val[src->bv_len] = '\0';
    return 0;
}

void cldap_free_read_entry(struct berval *dn, cldap_read_attr *attrs, int nattrs) {
    if (dn != NULL) { free(dn->bv_val); dn->bv_val = NULL; dn->bv_len = 0; }
    if (attrs == NULL) return;
    for (int i = 0; i < nattrs; i++) {
        free(attrs[i].name.bv_val);
        for (int j = 0; j < attrs[i].count; j++) free(attrs[i].values[j].bv_val);
        free(attrs[i].values);
    }
    free(attrs);
}

int cldap_parse_read_entry(const struct berval *value, struct berval *dn,
                           cldap_read_attr **attrs, int *nattrs) {
    *attrs = NULL; *nattrs = 0; dn->bv_val = NULL; dn->bv_len = 0;
    BerElement *ber = ber_init((struct berval *)value);
    if (ber == NULL) return LDAP_NO_MEMORY;
    int rc = LDAP_DECODING_ERROR;
    struct berval bdn;
    /* SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName, attributes SEQUENCE OF ... } */
    if (ber_scanf(ber, "{m{", &bdn) == LBER_ERROR) goto done;
    if (copy_berval(&bdn, dn) != 0) { rc = LDAP_NO_MEMORY; goto done; }
    int capacity = 0;
    while (ber_peek_tag(ber, &(ber_len_t){0}) == LBER_SEQUENCE) {
        struct berval name;
        BerVarray vals = NULL;
        if (ber_scanf(ber, "{m[W]}", &name, &vals) == LBER_ERROR) goto done;
        if (*nattrs == capacity) {
            int ncap = capacity ? capacity * 2 : 8;
            cldap_read_attr *grown = realloc(*attrs, sizeof(cldap_read_attr) * ncap);
            if (grown == NULL) { ber_bvarray_free(vals); rc = LDAP_NO_MEMORY; goto done; }
            *attrs = grown; capacity = ncap;
        }
        cldap_read_attr *a = &(*attrs)[*nattrs];
        memset(a, 0, sizeof(*a));
        (*nattrs)++;
        if (copy_berval(&name, &a->name) != 0) { ber_bvarray_free(vals); rc = LDAP_NO_MEMORY; goto done; }
        int n = 0;
        while (vals != NULL && vals[n].bv_val != NULL) n++;
        a->values = calloc(n > 0 ? n : 1, sizeof(struct berval));
        if (a->values == NULL) { ber_bvarray_free(vals); rc = LDAP_NO_MEMORY; goto done; }
        for (int j = 0; j < n; j++) {
            if (copy_berval(&vals[j], &a->values[j]) != 0) { ber_bvarray_free(vals); rc = LDAP_NO_MEMORY; goto done; }
            a->count = j + 1;
        }
        ber_bvarray_free(vals);
    }
    rc = LDAP_SUCCESS;
done:
    ber_free(ber, 1);
    if (rc != LDAP_SUCCESS) {
        cldap_free_read_entry(dn, *attrs, *nattrs);
        *attrs = NULL; *nattrs = 0;
    }
    return rc;
}

/* ---- RFC 4533 content synchronisation ---- */

int cldap_encode_sync_request(int mode, const struct berval *cookie, int reload_hint, struct berval *out) {
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (ber == NULL) return LDAP_NO_MEMORY;
    int rc = LDAP_SUCCESS;
    if (ber_printf(ber, "{e", (ber_int_t)mode) == -1) rc = LDAP_ENCODING_ERROR;
    if (rc == LDAP_SUCCESS && cookie != NULL && cookie->bv_val != NULL && ber_printf(ber, "O", cookie) == -1) {
        rc = LDAP_ENCODING_ERROR;
    }
    if (rc == LDAP_SUCCESS && reload_hint && ber_printf(ber, "b", (ber_int_t)1) == -1) rc = LDAP_ENCODING_ERROR;
    if (rc == LDAP_SUCCESS && (ber_printf(ber, "N}") == -1 || ber_flatten2(ber, out, 1) == -1)) {
        rc = LDAP_ENCODING_ERROR;
    }
    ber_free(ber, 1);
    return rc;
}

int cldap_parse_sync_state(const struct berval *value, int *state, struct berval *uuid, struct berval *cookie) {
    BerElement *ber = ber_init((struct berval *)value);
    if (ber == NULL) return LDAP_NO_MEMORY;
    ber_int_t st = 0;
    ber_len_t len = 0;
    int rc = LDAP_SUCCESS;
    uuid->bv_val = NULL; uuid->bv_len = 0;
    cookie->bv_val = NULL; cookie->bv_len = 0;
    if (ber_scanf(ber, "{eo", &st, uuid) == LBER_ERROR) {
        rc = LDAP_DECODING_ERROR;
    } else if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING) {
        if (ber_scanf(ber, "o", cookie) == LBER_ERROR) rc = LDAP_DECODING_ERROR;
    }
    *state = (int)st;
    ber_free(ber, 1);
    return rc;
}

int cldap_parse_sync_info(const struct berval *value, int *kind, struct berval *cookie, int *done, BerVarray *uuids) {
    BerElement *ber = ber_init((struct berval *)value);
    if (ber == NULL) return LDAP_NO_MEMORY;
    ber_len_t len = 0;
    int rc = LDAP_SUCCESS;
    cookie->bv_val = NULL; cookie->bv_len = 0;
    *done = 1;
    *uuids = NULL;
    ber_tag_t tag = ber_peek_tag(ber, &len);
    switch (tag) {
    case LDAP_TAG_SYNC_NEW_COOKIE:
        *kind = 0;
        if (ber_scanf(ber, "o", cookie) == LBER_ERROR) rc = LDAP_DECODING_ERROR;
        break;
    case LDAP_TAG_SYNC_REFRESH_DELETE:
    case LDAP_TAG_SYNC_REFRESH_PRESENT:
        *kind = tag == LDAP_TAG_SYNC_REFRESH_DELETE ? 1 : 2;
        if (ber_scanf(ber, "{") == LBER_ERROR) { rc = LDAP_DECODING_ERROR; break; }
        if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING && ber_scanf(ber, "o", cookie) == LBER_ERROR) {
            rc = LDAP_DECODING_ERROR; break;
        }
        if (ber_peek_tag(ber, &len) == LBER_BOOLEAN) {
            ber_int_t flag = 1;
            if (ber_scanf(ber, "b", &flag) == LBER_ERROR) { rc = LDAP_DECODING_ERROR; break; }
            *done = flag ? 1 : 0;
        }
        break;
    case LDAP_TAG_SYNC_ID_SET:
        *kind = 3;
        *done = 0;
        if (ber_scanf(ber, "{") == LBER_ERROR) { rc = LDAP_DECODING_ERROR; break; }
        if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING && ber_scanf(ber, "o", cookie) == LBER_ERROR) {
            rc = LDAP_DECODING_ERROR; break;
        }
        if (ber_peek_tag(ber, &len) == LBER_BOOLEAN) {
            ber_int_t flag = 0;
            if (ber_scanf(ber, "b", &flag) == LBER_ERROR) { rc = LDAP_DECODING_ERROR; break; }
            *done = flag ? 1 : 0;
        }
        if (ber_scanf(ber, "[W]", uuids) == LBER_ERROR) rc = LDAP_DECODING_ERROR;
        break;
    default:
        rc = LDAP_DECODING_ERROR;
    }
    ber_free(ber, 1);
    return rc;
}

int cldap_parse_sync_done(const struct berval *value, struct berval *cookie, int *refresh_deletes) {
    cookie->bv_val = NULL; cookie->bv_len = 0;
    *refresh_deletes = 0;
    if (value == NULL || value->bv_len == 0) return LDAP_SUCCESS;
    BerElement *ber = ber_init((struct berval *)value);
    if (ber == NULL) return LDAP_NO_MEMORY;
    ber_len_t len = 0;
    int rc = LDAP_SUCCESS;
    if (ber_scanf(ber, "{") == LBER_ERROR) {
        rc = LDAP_DECODING_ERROR;
    } else {
        if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING && ber_scanf(ber, "o", cookie) == LBER_ERROR) rc = LDAP_DECODING_ERROR;
        if (rc == LDAP_SUCCESS && ber_peek_tag(ber, &len) == LBER_BOOLEAN) {
            ber_int_t flag = 0;
            if (ber_scanf(ber, "b", &flag) == LBER_ERROR) rc = LDAP_DECODING_ERROR;
            *refresh_deletes = flag ? 1 : 0;
        }
    }
    ber_free(ber, 1);
    return rc;
}
