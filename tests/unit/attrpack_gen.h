/*
 * attrpack_gen.h — writing compact attributes by hand, for tests that build
 * the forms stored records may hold (sla_attrpack.h): a well-known key as
 * its one-byte code, or spelled out as a label would be.
 */
#ifndef SLA_TEST_ATTRPACK_GEN_H
#define SLA_TEST_ATTRPACK_GEN_H

#include <string.h>

#include "sla_attrpack.h"

/* Append key=val to out[0..len) in compact form; a well-known key is
 * spelled out when spell_out. Returns the new length. */
static inline size_t attrpack_put_pair(char *out, size_t len, const char *key, const char *val,
                                       int spell_out)
{
    int code = spell_out ? 0 : sla_attrpack_code(key, strlen(key));
    out[len++] = (char)code;
    if (!code) {
        memcpy(out + len, key, strlen(key) + 1);
        len += strlen(key) + 1;
    }
    memcpy(out + len, val, strlen(val) + 1);
    return len + strlen(val) + 1;
}

#endif
