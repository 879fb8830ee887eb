/*
 * sla_attrpack — compact attribute storage. See sla_attrpack.h.
 */
#include "sla_attrpack.h"

#include <string.h>

#include "sla_attrs.h"

static const char *const known[] = {
    NULL, "channel", "priority", "category", "tier", "group",
    "assignee", "customer", "subject", "url",
};
#define NKNOWN ((int)(sizeof known / sizeof known[0]))

static int code_of(const char *key, size_t len)
{
    for (int c = 1; c < NKNOWN; c++)
        if (strlen(known[c]) == len && memcmp(known[c], key, len) == 0)
            return c;
    return 0;
}

size_t sla_attrpack_size(const char *plain, size_t len)
{
    size_t pos = 0, n = 0;
    const char *k, *v;
    while (sla_attrs_next(plain, len, &pos, &k, &v)) {
        size_t klen = strlen(k);
        n += 1 + (code_of(k, klen) ? 0 : klen + 1) + strlen(v) + 1;
    }
    return n;
}

void sla_attrpack_pack(const char *plain, size_t len, char *out)
{
    size_t pos = 0;
    const char *k, *v;
    while (sla_attrs_next(plain, len, &pos, &k, &v)) {
        size_t klen = strlen(k), vlen = strlen(v);
        int c = code_of(k, klen);
        *out++ = (char)c;
        if (!c) {
            memcpy(out, k, klen + 1);
            out += klen + 1;
        }
        memcpy(out, v, vlen + 1);
        out += vlen + 1;
    }
}

/* Iterate the compact form: key (name), value; 0 at the end. */
static int next(const char *p, size_t len, size_t *pos, const char **key, const char **val)
{
    if (*pos >= len)
        return 0;
    unsigned char c = (unsigned char)p[(*pos)++];
    if (c) {
        *key = known[c];
    } else {
        *key = p + *pos;
        *pos += strlen(*key) + 1;
    }
    *val = p + *pos;
    *pos += strlen(*val) + 1;
    return 1;
}

size_t sla_attrpack_plain_size(const char *packed, size_t len)
{
    size_t pos = 0, n = 0;
    const char *k, *v;
    while (next(packed, len, &pos, &k, &v))
        n += strlen(k) + strlen(v) + 2;
    return n;
}

void sla_attrpack_expand(const char *packed, size_t len, char *out)
{
    size_t pos = 0;
    const char *k, *v;
    while (next(packed, len, &pos, &k, &v)) {
        size_t klen = strlen(k), vlen = strlen(v);
        memcpy(out, k, klen + 1);
        out += klen + 1;
        memcpy(out, v, vlen + 1);
        out += vlen + 1;
    }
}

const char *sla_attrpack_get(const char *packed, size_t len, const char *key, size_t key_len)
{
    size_t pos = 0;
    const char *k, *v;
    while (next(packed, len, &pos, &k, &v))
        if (strncmp(k, key, key_len) == 0 && k[key_len] == '\0')
            return v;
    return NULL;
}

int sla_attrpack_valid(const char *p, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        unsigned char c = (unsigned char)p[pos++];
        if (c >= NKNOWN)
            return 0;
        int strings = c ? 1 : 2; /* value, or key and value */
        for (int s = 0; s < strings; s++) {
            const char *end = memchr(p + pos, '\0', len - pos);
            if (!end || (s == 0 && !c && end == p + pos))
                return 0; /* unterminated, or an empty key */
            pos = (size_t)(end - p) + 1;
        }
    }
    return 1;
}
