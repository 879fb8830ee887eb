/*
 * sla_attrpack — compact attribute storage. See sla_attrpack.h.
 *
 * sla_attrpack_merge() follows sla_attrs_merge() step by step, with keys
 * compared by name whether they are coded or spelled out, so the result is
 * what packing the plain merge gives: a spelled-out well-known key (only a
 * hand-made record has one) comes out coded, as packing would code it. The
 * plain size of the result is counted along the way to refuse exactly what
 * sla_attrs_merge() refuses.
 */
#include "sla_attrpack.h"

#include <string.h>

/*
 * A code is the index of its key here, and stored records hold codes:
 * append only, never renumber or remove (a record written with a code this
 * table lacks is refused as malformed). Codes 1..9 are the ticket keys of
 * the first compact form; 10..15 the customers' attributes, added later:
 * a record written before holds those keys spelled out, which reads the
 * same (sla_attrpack_next gives the name either way) and comes out coded
 * at the customer's next change.
 */
static const char *const known[] = {
    NULL, "channel", "priority", "category", "tier", "group",
    "assignee", "customer", "subject", "url",
    "industry", "owner", "contract_end", "renewal", "upgrade", "satisfaction",
};
#define NKNOWN ((int)(sizeof known / sizeof known[0]))
static const unsigned char known_len[NKNOWN] = {0, 7, 8, 8, 4, 5, 8, 8, 7, 3,
                                                8, 5, 12, 7, 7, 12};
#define KNOWN_MIN_LEN 3
#define KNOWN_MAX_LEN 12

_Static_assert(NKNOWN == SLA_ATTRPACK_CODES, "SLA_ATTRPACK_CODES is the number of codes");

int sla_attrpack_code(const char *key, size_t len)
{
    if (len < KNOWN_MIN_LEN || len > KNOWN_MAX_LEN)
        return 0;
    for (int c = 1; c < NKNOWN; c++)
        if (known_len[c] == len && key[0] == known[c][0] && memcmp(known[c], key, len) == 0)
            return c;
    return 0;
}

size_t sla_attrpack_size(const char *plain, size_t len)
{
    size_t pos = 0, n = 0;
    const char *k, *v;
    while (sla_attrs_next(plain, len, &pos, &k, &v)) {
        size_t klen = strlen(k);
        n += 1 + (sla_attrpack_code(k, klen) ? 0 : klen + 1) + strlen(v) + 1;
    }
    return n;
}

void sla_attrpack_pack(const char *plain, size_t len, char *out)
{
    size_t pos = 0;
    const char *k, *v;
    while (sla_attrs_next(plain, len, &pos, &k, &v)) {
        size_t klen = strlen(k), vlen = strlen(v);
        int c = sla_attrpack_code(k, klen);
        *out++ = (char)c;
        if (!c) {
            memcpy(out, k, klen + 1);
            out += klen + 1;
        }
        memcpy(out, v, vlen + 1);
        out += vlen + 1;
    }
}

int sla_attrpack_next(const char *p, size_t len, size_t *pos, sla_attrpack_pair *e)
{
    if (*pos >= len)
        return 0;
    e->code = (unsigned char)p[(*pos)++];
    if (e->code) {
        e->key = known[e->code];
        e->key_len = known_len[e->code];
    } else {
        e->key = p + *pos;
        e->key_len = strlen(e->key);
        *pos += e->key_len + 1;
    }
    e->val = p + *pos;
    e->val_len = strlen(e->val);
    *pos += e->val_len + 1;
    return 1;
}

size_t sla_attrpack_plain_size(const char *packed, size_t len)
{
    size_t pos = 0, n = 0;
    sla_attrpack_pair e;
    while (sla_attrpack_next(packed, len, &pos, &e))
        n += e.key_len + e.val_len + 2;
    return n;
}

void sla_attrpack_expand(const char *packed, size_t len, char *out)
{
    size_t pos = 0;
    sla_attrpack_pair e;
    while (sla_attrpack_next(packed, len, &pos, &e)) {
        memcpy(out, e.key, e.key_len + 1);
        out += e.key_len + 1;
        memcpy(out, e.val, e.val_len + 1);
        out += e.val_len + 1;
    }
}

const char *sla_attrpack_get(const char *packed, size_t len, const char *key, size_t key_len)
{
    size_t pos = 0;
    sla_attrpack_pair e;
    while (sla_attrpack_next(packed, len, &pos, &e))
        if (e.key_len == key_len && memcmp(e.key, key, key_len) == 0)
            return e.val;
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

/* --------------------------------------------------------------- merging */

static int same_key(const sla_field *f, const char *key, size_t klen)
{
    return f->key_len == klen && (klen == 0 || (f->key[0] == key[0] &&
                                                memcmp(f->key, key, klen) == 0));
}

/* The last field named key (sla_attrs_merge: the last occurrence wins). */
static const sla_field *last_field(const sla_field *fields, size_t n, const char *key,
                                   size_t klen)
{
    for (size_t i = n; i-- > 0;)
        if (same_key(&fields[i], key, klen))
            return &fields[i];
    return NULL;
}

static int packed_has(const char *packed, size_t len, const char *key, size_t klen)
{
    size_t pos = 0;
    sla_attrpack_pair e;
    while (sla_attrpack_next(packed, len, &pos, &e))
        if (e.key_len == klen && memcmp(e.key, key, klen) == 0)
            return 1;
    return 0;
}

/* A field sla_attrs_merge could not keep well-formed (never from sla_event_parse). */
static int has_nul(const sla_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memchr(fields[i].key, '\0', fields[i].key_len) ||
            memchr(fields[i].val, '\0', fields[i].val_len))
            return 1;
    return 0;
}

/* sla_attrs_merge drops a new key this long (it copies keys to a 256-byte buffer). */
#define NEW_KEY_MAX 255

typedef struct writer {
    char *out;
    size_t cap, len;   /* compact bytes */
    size_t plain;      /* bytes of the plain form so far */
} writer;

/* Append a pair; c is the code packing gives key (code_of). */
static int put(writer *w, int c, const char *key, size_t klen, const char *val, size_t vlen)
{
    w->plain += klen + vlen + 2;
    if (w->plain > SLA_ATTRS_MAX)
        return -1;
    size_t need = 1 + (c ? 0 : klen + 1) + vlen + 1;
    if (need > w->cap - w->len)
        return -1;
    char *o = w->out + w->len;
    *o++ = (char)c;
    if (!c) {
        memcpy(o, key, klen);
        o += klen;
        *o++ = '\0';
    }
    memcpy(o, val, vlen);
    o[vlen] = '\0';
    w->len += need;
    return 0;
}

int sla_attrpack_merge(const char *packed, size_t len, const sla_field *fields, size_t n,
                       char *out, size_t out_cap, size_t *out_len)
{
    if (has_nul(fields, n))
        return -1;
    writer w = {out, out_cap, 0, 0};
    /* Fields naming a key packed has, marked while passing its pairs. */
    unsigned char named[SLA_EVENT_MAX_FIELDS];
    int marks = n <= SLA_EVENT_MAX_FIELDS;
    if (marks)
        memset(named, 0, n);

    /* Existing keys first, in their order, with new values where given. */
    size_t pos = 0;
    sla_attrpack_pair e;
    while (sla_attrpack_next(packed, len, &pos, &e)) {
        const sla_field *f = NULL;
        for (size_t i = n; i-- > 0;)
            if (same_key(&fields[i], e.key, e.key_len)) {
                f = f ? f : &fields[i]; /* the last one */
                if (marks)
                    named[i] = 1;
            }
        const char *val = f ? f->val : e.val;
        size_t vlen = f ? f->val_len : e.val_len;
        int c = e.code ? e.code : sla_attrpack_code(e.key, e.key_len);
        if (vlen && put(&w, c, e.key, e.key_len, val, vlen) < 0)
            return -1;
    }
    /* Then new keys, in input order, each once, with its last value. */
    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];
        if (f->key_len > NEW_KEY_MAX ||
            (marks ? named[i] : packed_has(packed, len, f->key, f->key_len)))
            continue;
        size_t j = 0;
        while (j < i && !same_key(&fields[j], f->key, f->key_len))
            j++;
        if (j < i)
            continue; /* an earlier occurrence decided this key */
        const sla_field *last = last_field(fields + i, n - i, f->key, f->key_len);
        if (last->val_len &&
            put(&w, sla_attrpack_code(f->key, f->key_len), f->key, f->key_len, last->val, last->val_len) < 0)
            return -1;
    }
    *out_len = w.len;
    return 0;
}

int sla_attrpack_merge_unchanged(const char *packed, size_t len, const sla_field *fields,
                                 size_t n)
{
    if (n > SLA_EVENT_MAX_FIELDS || has_nul(fields, n))
        return 0;
    unsigned char named[SLA_EVENT_MAX_FIELDS]; /* field i names a key packed has */
    memset(named, 0, n);
    size_t plain = 0, pos = 0;
    sla_attrpack_pair e;
    while (sla_attrpack_next(packed, len, &pos, &e)) {
        const sla_field *f = NULL;
        for (size_t i = 0; i < n; i++)
            if (same_key(&fields[i], e.key, e.key_len)) {
                named[i] = 1;
                f = &fields[i];
            }
        if (f ? f->val_len != e.val_len || memcmp(f->val, e.val, e.val_len) != 0 : e.val_len == 0)
            return 0; /* a new value, or a removal */
        if (e.val_len == 0 || (!e.code && sla_attrpack_code(e.key, e.key_len)))
            return 0; /* removed; or a spelled-out well-known key, which would be coded */
        plain += e.key_len + e.val_len + 2;
    }
    if (plain > SLA_ATTRS_MAX)
        return 0; /* refused */
    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];
        if (named[i] || f->key_len > NEW_KEY_MAX)
            continue;
        if (last_field(fields + i, n - i, f->key, f->key_len)->val_len)
            return 0; /* a new key */
    }
    return 1;
}
