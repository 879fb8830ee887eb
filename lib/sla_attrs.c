/*
 * sla_attrs — packed attribute buffers. See sla_attrs.h.
 *
 * Merging rebuilds the buffer in a scratch area and copies it back, so a
 * failed merge leaves the old buffer intact. The scratch area is sized for
 * the usual worst case (the old buffer plus every field) and grows, up to
 * SLA_ATTRS_MAX, when a key the buffer holds more than once (only a
 * hand-made stored record has that) takes a longer value at each place.
 */
#include "sla_attrs.h"

#include <stdlib.h>
#include <string.h>

int sla_attrs_next(const char *buf, size_t buf_len, size_t *pos, const char **key,
                   const char **val)
{
    if (*pos >= buf_len)
        return 0;
    *key = buf + *pos;
    size_t klen = strlen(*key);
    *val = *key + klen + 1;
    size_t vlen = strlen(*val);
    *pos += klen + vlen + 2;
    return 1;
}

const char *sla_attrs_get(const char *buf, size_t buf_len, const char *key, size_t key_len)
{
    size_t pos = 0;
    const char *k, *v;
    while (sla_attrs_next(buf, buf_len, &pos, &k, &v))
        if (strncmp(k, key, key_len) == 0 && k[key_len] == '\0')
            return v;
    return NULL;
}

static const sla_field *find_field(const sla_field *fields, size_t n, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = n; i-- > 0;)
        if (fields[i].key_len == klen && memcmp(fields[i].key, key, klen) == 0)
            return &fields[i];
    return NULL;
}

static int already_in(const char *out, size_t out_len, const char *key, size_t key_len)
{
    return sla_attrs_get(out, out_len, key, key_len) != NULL;
}

/* Room for `need` more bytes after len in *out: 0, or -1 when the result
 * would exceed SLA_ATTRS_MAX or memory runs out. */
static int reserve(char **out, size_t *cap, size_t len, size_t need)
{
    if (need <= *cap - len)
        return 0;
    if (need > SLA_ATTRS_MAX - len)
        return -1;
    char *bigger = realloc(*out, SLA_ATTRS_MAX);
    if (!bigger)
        return -1;
    *out = bigger;
    *cap = SLA_ATTRS_MAX;
    return 0;
}

int sla_attrs_merge(char **buf, size_t *buf_len, const sla_field *fields, size_t n)
{
    size_t worst = *buf_len;
    for (size_t i = 0; i < n; i++)
        worst += fields[i].key_len + fields[i].val_len + 2;
    size_t cap = worst < SLA_ATTRS_MAX ? worst : SLA_ATTRS_MAX;
    char *out = malloc(cap ? cap : 1);
    if (!out)
        return -1;
    size_t len = 0;

    /* Existing keys first, in their order, with new values where given. */
    size_t pos = 0;
    const char *k, *v;
    while (*buf && sla_attrs_next(*buf, *buf_len, &pos, &k, &v)) {
        const sla_field *f = find_field(fields, n, k);
        const char *val = f ? f->val : v;
        size_t vlen = f ? f->val_len : strlen(v);
        if (vlen == 0)
            continue;
        size_t klen = strlen(k);
        if (reserve(&out, &cap, len, klen + vlen + 2) < 0) {
            free(out);
            return -1;
        }
        memcpy(out + len, k, klen + 1);
        len += klen + 1;
        memcpy(out + len, val, vlen);
        len += vlen;
        out[len++] = '\0';
    }
    /* Then new keys, in input order; the last occurrence of a key wins. */
    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];
        if (*buf && sla_attrs_get(*buf, *buf_len, f->key, f->key_len))
            continue;
        if (already_in(out, len, f->key, f->key_len))
            continue;
        char keybuf[256];
        if (f->key_len >= sizeof keybuf)
            continue;
        memcpy(keybuf, f->key, f->key_len);
        keybuf[f->key_len] = '\0';
        const sla_field *last = find_field(fields, n, keybuf);
        if (last->val_len == 0)
            continue;
        if (reserve(&out, &cap, len, f->key_len + last->val_len + 2) < 0) {
            free(out);
            return -1;
        }
        memcpy(out + len, f->key, f->key_len);
        len += f->key_len;
        out[len++] = '\0';
        memcpy(out + len, last->val, last->val_len);
        len += last->val_len;
        out[len++] = '\0';
    }
    if (len > SLA_ATTRS_MAX) {
        free(out);
        return -1;
    }
    free(*buf);
    if (len == 0) {
        free(out);
        out = NULL;
    }
    *buf = out;
    *buf_len = len;
    return 0;
}
