/*
 * sla_clockpack — packed clocks. See sla_clockpack.h. Pure; no allocation:
 * the caller owns every buffer.
 */
#include "sla_clockpack.h"

#include <string.h>

#include "sla_attrpack.h"
#include "sla_timefmt.h"
#include "sla_varint.h"

#define HEAD_MOVED 0x40 /* resume_ms differs from the base */
#define HEAD_WORN 0x80  /* the cycle is not 1, or elapsed_ms, warned, acked or fired set */
#define START_ATTRS 16  /* a start below this names an attribute by position */

/* Both times are below 2^48, so their difference fits easily. */
static uint64_t zigzag(uint64_t resume, uint64_t base)
{
    return sla_zigzag((int64_t)resume - (int64_t)base);
}

static int unzigzag(uint64_t z, uint64_t base, uint64_t *resume)
{
    if (z >> 50)
        return -1;
    int64_t r = (int64_t)base + sla_unzigzag(z);
    if (r < 0 || r >= (INT64_C(1) << 48))
        return -1;
    *resume = (uint64_t)r;
    return 0;
}

unsigned char *sla_clockpack_put_wear(unsigned char *p, const sla_clock *c)
{
    p = sla_varint_put(p, c->elapsed_ms);
    *p++ = (unsigned char)(c->warned | c->acked << 1);
    *p++ = (unsigned char)c->fired;
    return p;
}

int sla_clockpack_get_wear(const unsigned char **pp, const unsigned char *end, sla_clock *c)
{
    const unsigned char *p = *pp;
    uint64_t v;
    if (sla_varint_get(&p, end, &v) < 0 || v >> 40 || end - p < 2 || (*p >> 2))
        return -1;
    c->elapsed_ms = v;
    c->warned = *p & 1;
    c->acked = (*p >> 1) & 1;
    p++;
    c->fired = *p++;
    *pp = p;
    return 0;
}

static int worn(const sla_clock *c)
{
    return c->cycle != 1 || c->elapsed_ms || c->warned || c->acked || c->fired;
}

int sla_clockpack_attr_time(const char *val, size_t len, uint64_t *out)
{
    int64_t d;
    if (sla_time_parse(val, len, &d) < 0)
        return -1;
    *out = d < 0 ? 0 : d >= (INT64_C(1) << 48) ? (UINT64_C(1) << 48) - 1 : (uint64_t)d;
    return 0;
}

int sla_clockpack_start_attr(const char *attrs, size_t attrs_len, uint64_t start)
{
    size_t pos = 0;
    sla_attrpack_pair pr;
    for (int k = 0; k < START_ATTRS && sla_attrpack_next(attrs, attrs_len, &pos, &pr); k++) {
        uint64_t d;
        if (sla_clockpack_attr_time(pr.val, pr.val_len, &d) == 0 && d == start)
            return k;
    }
    return -1;
}

/* How clock c writes its start: an attribute's position, or 16 + zigzag. */
static uint64_t start_code(const sla_clock *c, uint64_t base, const char *attrs, size_t alen)
{
    int k = c->source == SLA_TARGET_AHEAD ? sla_clockpack_start_attr(attrs, alen, c->resume_ms)
                                          : -1;
    return k >= 0 ? (uint64_t)k : START_ATTRS + zigzag(c->resume_ms, base);
}

size_t sla_clockpack_size(const sla_clock *c, size_t n, uint64_t base, const char *attrs,
                          size_t attrs_len)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        size += 2;
        if (c[i].resume_ms != base)
            size += sla_varint_len(start_code(&c[i], base, attrs, attrs_len));
        if (worn(&c[i]))
            size += sla_varint_len(c[i].cycle) + sla_varint_len(c[i].elapsed_ms) + 2;
    }
    return size;
}

size_t sla_clockpack_encode(const sla_clock *c, size_t n, uint64_t base, const char *attrs,
                            size_t attrs_len, unsigned char *out)
{
    unsigned char *p = out;
    for (size_t i = 0; i < n; i++) {
        int moved = c[i].resume_ms != base, w = worn(&c[i]);
        *p++ = (unsigned char)(c[i].state | c[i].source << 3 | (moved ? HEAD_MOVED : 0) |
                               (w ? HEAD_WORN : 0));
        *p++ = (unsigned char)c[i].policy;
        if (moved)
            p = sla_varint_put(p, start_code(&c[i], base, attrs, attrs_len));
        if (w) {
            p = sla_varint_put(p, c[i].cycle);
            p = sla_clockpack_put_wear(p, &c[i]);
        }
    }
    return (size_t)(p - out);
}

/* The time attribute k of attrs holds. */
static int attr_start(const char *attrs, size_t alen, uint64_t k, uint64_t *out)
{
    size_t pos = 0;
    sla_attrpack_pair pr;
    for (uint64_t i = 0; i <= k; i++)
        if (!sla_attrpack_next(attrs, alen, &pos, &pr))
            return -1;
    return sla_clockpack_attr_time(pr.val, pr.val_len, out);
}

int sla_clockpack_decode(const unsigned char *in, size_t len, size_t n, uint64_t base,
                         const char *attrs, size_t attrs_len, sla_clock *out)
{
    const unsigned char *p = in, *end = in + len;
    if (base >> 48)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sla_clock *c = &out[i];
        memset(c, 0, sizeof *c);
        if (end - p < 2)
            return -1;
        unsigned head = *p++;
        c->state = head & 7;
        c->source = (head >> 3) & 7;
        c->policy = *p++;
        c->cycle = 1;
        uint64_t v, resume = base;
        if (head & HEAD_MOVED) {
            if (sla_varint_get(&p, end, &v) < 0)
                return -1;
            if (v < START_ATTRS ? c->source != SLA_TARGET_AHEAD ||
                                      attr_start(attrs, attrs_len, v, &resume) < 0
                                : unzigzag(v - START_ATTRS, base, &resume) < 0)
                return -1;
        }
        c->resume_ms = resume;
        if (head & HEAD_WORN) {
            if (sla_varint_get(&p, end, &v) < 0 || v >> 16)
                return -1;
            c->cycle = v;
            if (sla_clockpack_get_wear(&p, end, c) < 0)
                return -1;
        }
    }
    return p == end ? 0 : -1;
}
