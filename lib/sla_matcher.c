/*
 * sla_matcher — compiled policy matching with a resolution cache. See
 * sla_matcher.h for what it promises.
 *
 * Layout (all owned by the matcher, built once):
 *
 *   fields[nfields]   distinct condition fields: name (borrowed from cfg),
 *                     length, code (0: a label)
 *   by_code[code]     field index of a well-known key, -1 when none
 *   names[]           open-addressing table of field indexes + 1 by name
 *                     (FNV-1a), for keys spelled out in the packed form;
 *                     len_bits filters on the key's length before hashing
 *   pols[], conds[], values[]
 *                     policies as ranges of conditions, conditions as
 *                     (field, op, range of values | number), values with
 *                     their lengths (strings borrowed from cfg)
 *   val[], vlen[], num_state[], num[]
 *                     per-resolve projection: the first value of each
 *                     field in the attributes, its length, and its number
 *                     once parsed
 *   cache[slots]      direct-mapped: hash, tuple length, resolution, tuple
 *
 * A spelled-out key is matched by name like any other, so a hand-made
 * record holding "channel" spelled out agrees with sla_attrpack_get too.
 * The tuple encodes each field in index order as 0x00 (absent) or 0x01,
 * the value's bytes, 0x00; values hold no NUL, so equal tuples mean equal
 * projections. Cost of a hit: one walk of the attributes, the tuple, one
 * hash and one memcmp; of a miss, the policy evaluation on top.
 */
#include "sla_matcher.h"

#include <stdlib.h>
#include <string.h>

#include "sla_attrpack.h"
#include "sla_policy.h"

/* Tuple bytes an entry stores; an entry is 128 bytes. */
#define KEY_MAX 116

typedef struct mfield {
    const char *name;
    size_t len;
    uint32_t hash;
} mfield;

typedef struct mvalue {
    const char *s;
    size_t len;
} mvalue;

typedef struct mcond {
    uint32_t field;
    enum sla_match_op op;
    uint32_t first_value, nvalues; /* SLA_MATCH_EQUAL */
    double number;                 /* the others */
} mcond;

typedef struct mpolicy {
    uint32_t first_cond, nconds;
    unsigned defines; /* bit per metric the policy defines */
} mpolicy;

typedef struct mentry {
    uint32_t hash;
    uint8_t len; /* 0: empty (a stored tuple has at least one byte per field) */
    unsigned char pol[SLA_METRIC_COUNT];
    unsigned char key[KEY_MAX];
} mentry;

struct sla_matcher {
    size_t npolicies;
    mpolicy *pols;
    mcond *conds;
    mvalue *values;

    size_t nfields;
    mfield *fields;
    int by_code[SLA_ATTRPACK_CODES];
    uint32_t *names; /* field index + 1, 0 = empty */
    size_t names_mask;
    uint64_t len_bits; /* bit min(len, 63) for each field name length */

    const char **val;
    size_t *vlen;
    signed char *num_state; /* 0 not parsed yet, 1 a number, -1 not a number */
    double *num;

    mentry *cache;
    size_t cache_mask;
    uint32_t hash_keep;
    unsigned char tuple[KEY_MAX];
    sla_matcher_stats stats;
};

static uint32_t fnv1a(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static uint64_t len_bit(size_t len) { return 1ull << (len < 63 ? len : 63); }

/* Index of the field named key, or -1. */
static int field_lookup(const sla_matcher *m, const char *key, size_t len)
{
    for (size_t s = fnv1a(key, len) & m->names_mask; m->names[s]; s = (s + 1) & m->names_mask) {
        const mfield *f = &m->fields[m->names[s] - 1];
        if (f->len == len && memcmp(f->name, key, len) == 0)
            return (int)(m->names[s] - 1);
    }
    return -1;
}

static uint32_t field_add(sla_matcher *m, const char *name)
{
    size_t len = strlen(name);
    int have = field_lookup(m, name, len);
    if (have >= 0)
        return (uint32_t)have;
    uint32_t idx = (uint32_t)m->nfields++;
    mfield *f = &m->fields[idx];
    f->name = name;
    f->len = len;
    f->hash = fnv1a(name, len);
    size_t s = f->hash & m->names_mask;
    while (m->names[s])
        s = (s + 1) & m->names_mask;
    m->names[s] = idx + 1;
    m->len_bits |= len_bit(len);
    int code = sla_attrpack_code(name, len);
    if (code)
        m->by_code[code] = (int)idx;
    return idx;
}

sla_matcher *sla_matcher_new_tuned(const sla_config *cfg, size_t slots, unsigned hash_bits)
{
    sla_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->npolicies = cfg->npolicies < SLA_MAX_POLICIES ? cfg->npolicies : SLA_MAX_POLICIES;
    size_t nconds = 0, nvalues = 0;
    for (size_t p = 0; p < m->npolicies; p++) {
        nconds += cfg->policies[p].nmatch;
        for (size_t i = 0; i < cfg->policies[p].nmatch; i++)
            nvalues += cfg->policies[p].match[i].nvalues;
    }
    size_t names = 8;
    while (names < 2 * nconds)
        names *= 2;
    m->names_mask = names - 1;
    m->pols = calloc(m->npolicies ? m->npolicies : 1, sizeof *m->pols);
    m->conds = calloc(nconds ? nconds : 1, sizeof *m->conds);
    m->values = calloc(nvalues ? nvalues : 1, sizeof *m->values);
    m->fields = calloc(nconds ? nconds : 1, sizeof *m->fields);
    m->names = calloc(names, sizeof *m->names);
    m->val = calloc(nconds ? nconds : 1, sizeof *m->val);
    m->vlen = calloc(nconds ? nconds : 1, sizeof *m->vlen);
    m->num_state = calloc(nconds ? nconds : 1, sizeof *m->num_state);
    m->num = calloc(nconds ? nconds : 1, sizeof *m->num);
    if (slots) {
        size_t n = 1;
        while (n < slots)
            n *= 2;
        m->cache = calloc(n, sizeof *m->cache);
        m->cache_mask = n - 1;
    }
    if (!m->pols || !m->conds || !m->values || !m->fields || !m->names || !m->val ||
        !m->vlen || !m->num_state || !m->num || (slots && !m->cache)) {
        sla_matcher_free(m);
        return NULL;
    }
    m->hash_keep = hash_bits >= 32 ? UINT32_MAX : (1u << hash_bits) - 1;
    for (int c = 0; c < SLA_ATTRPACK_CODES; c++)
        m->by_code[c] = -1;

    size_t ci = 0, vi = 0;
    for (size_t p = 0; p < m->npolicies; p++) {
        const sla_policy *pol = &cfg->policies[p];
        mpolicy *mp = &m->pols[p];
        mp->first_cond = (uint32_t)ci;
        mp->nconds = (uint32_t)pol->nmatch;
        for (int k = 0; k < SLA_METRIC_COUNT; k++)
            if (pol->metrics[k].defined)
                mp->defines |= 1u << k;
        for (size_t i = 0; i < pol->nmatch; i++) {
            const sla_match *sm = &pol->match[i];
            mcond *c = &m->conds[ci++];
            c->field = field_add(m, sm->field);
            c->op = sm->op;
            c->number = sm->number;
            c->first_value = (uint32_t)vi;
            c->nvalues = (uint32_t)sm->nvalues;
            for (size_t k = 0; k < sm->nvalues; k++)
                m->values[vi++] = (mvalue){sm->values[k], strlen(sm->values[k])};
        }
    }
    return m;
}

sla_matcher *sla_matcher_new(const sla_config *cfg)
{
    return sla_matcher_new_tuned(cfg, SLA_MATCHER_CACHE_SLOTS, 32);
}

void sla_matcher_free(sla_matcher *m)
{
    if (!m)
        return;
    free(m->pols);
    free(m->conds);
    free(m->values);
    free(m->fields);
    free(m->names);
    free(m->val);
    free(m->vlen);
    free(m->num_state);
    free(m->num);
    free(m->cache);
    free(m);
}

void sla_matcher_get_stats(const sla_matcher *m, sla_matcher_stats *out) { *out = m->stats; }

/* The value of each condition field, first occurrence, in one walk. */
static void project(sla_matcher *m, const char *attrs, size_t len)
{
    memset(m->val, 0, m->nfields * sizeof *m->val);
    size_t found = 0, pos = 0;
    sla_attrpack_pair e;
    while (found < m->nfields && sla_attrpack_next(attrs, len, &pos, &e)) {
        int f = -1;
        if (e.code)
            f = e.code < SLA_ATTRPACK_CODES ? m->by_code[e.code] : -1;
        else if (m->len_bits & len_bit(e.key_len))
            f = field_lookup(m, e.key, e.key_len);
        if (f >= 0 && !m->val[f]) {
            m->val[f] = e.val;
            m->vlen[f] = e.val_len;
            m->num_state[f] = 0;
            found++;
        }
    }
}

static int cond_holds(sla_matcher *m, const mcond *c)
{
    const char *v = m->val[c->field];
    if (!v)
        return 0;
    if (c->op == SLA_MATCH_EQUAL) {
        size_t len = m->vlen[c->field];
        for (uint32_t i = 0; i < c->nvalues; i++) {
            const mvalue *x = &m->values[c->first_value + i];
            if (x->len == len && memcmp(x->s, v, len) == 0)
                return 1;
        }
        return 0;
    }
    signed char *st = &m->num_state[c->field];
    if (*st == 0)
        *st = sla_policy_number(v, &m->num[c->field]) < 0 ? -1 : 1;
    if (*st < 0)
        return 0;
    return sla_policy_compare(c->op, m->num[c->field], c->number);
}

/* sla_policy_resolve over the projection. */
static void evaluate(sla_matcher *m, unsigned char out[SLA_METRIC_COUNT])
{
    unsigned missing = (1u << SLA_METRIC_COUNT) - 1;
    memset(out, SLA_POLICY_NONE, SLA_METRIC_COUNT);
    for (size_t p = 0; p < m->npolicies && missing; p++) {
        const mpolicy *mp = &m->pols[p];
        unsigned take = mp->defines & missing;
        if (!take)
            continue;
        uint32_t i = 0;
        while (i < mp->nconds && cond_holds(m, &m->conds[mp->first_cond + i]))
            i++;
        if (i < mp->nconds)
            continue;
        for (int k = 0; k < SLA_METRIC_COUNT; k++)
            if (take & (1u << k))
                out[k] = (unsigned char)p;
        missing &= ~take;
    }
}

/* The projection as a tuple in m->tuple; its length, or 0 when too long. */
static size_t tuple_of(sla_matcher *m)
{
    size_t n = 0;
    for (size_t f = 0; f < m->nfields; f++) {
        if (!m->val[f]) {
            if (n == KEY_MAX)
                return 0;
            m->tuple[n++] = 0;
            continue;
        }
        size_t vlen = m->vlen[f];
        if (vlen + 2 > KEY_MAX - n)
            return 0;
        m->tuple[n++] = 1;
        memcpy(m->tuple + n, m->val[f], vlen);
        n += vlen;
        m->tuple[n++] = 0;
    }
    return n;
}

static uint32_t tuple_hash(const unsigned char *t, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, t + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    if (i < n) {
        w = 0;
        memcpy(&w, t + i, n - i);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

void sla_matcher_resolve(sla_matcher *m, const char *attrs, size_t attrs_len,
                         unsigned char out[SLA_METRIC_COUNT])
{
    project(m, attrs, attrs_len);
    size_t n = m->cache && m->nfields ? tuple_of(m) : 0;
    if (!n) {
        m->stats.bypassed++;
        evaluate(m, out);
        return;
    }
    uint32_t h = tuple_hash(m->tuple, n) & m->hash_keep;
    mentry *e = &m->cache[h & m->cache_mask];
    if (e->len == n && e->hash == h && memcmp(e->key, m->tuple, n) == 0) {
        m->stats.hits++;
        memcpy(out, e->pol, SLA_METRIC_COUNT);
        return;
    }
    m->stats.misses++;
    evaluate(m, out);
    e->hash = h;
    e->len = (uint8_t)n;
    memcpy(e->pol, out, SLA_METRIC_COUNT);
    memcpy(e->key, m->tuple, n);
}
