/*
 * sla_record — ticket state encoding. See sla_record.h.
 */
#include "sla_record.h"

#include <string.h>

#include "sla_attrpack.h"

#define RECORD_VERSION 2
#define RECORD_RESOLVED 0x01 /* ticket flag */

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

size_t sla_record_max_size(const sla_ticket *t)
{
    return 1 + 2 * 10 + 10 + t->attrs_len + 2 + SLA_METRIC_COUNT * (3 * 10 + 3);
}

size_t sla_record_encode(const sla_ticket *t, unsigned char *buf)
{
    unsigned char *p = buf;
    *p++ = RECORD_VERSION;
    p = put_varint(p, t->last_ms);
    p = put_varint(p, t->last_seq);
    p = put_varint(p, t->attrs_len);
    if (t->attrs_len)
        memcpy(p, sla_ticket_attrs(t), t->attrs_len);
    p += t->attrs_len;
    *p++ = t->resolved ? RECORD_RESOLVED : 0;
    unsigned char mask = 0;
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        if (t->slot[m] != SLA_SLOT_NONE && t->clocks[t->slot[m]].state != SLA_CLOCK_IDLE)
            mask |= (unsigned char)(1u << m);
    *p++ = mask;
    for (int m = 0; m < SLA_METRIC_COUNT; m++) {
        if (!(mask & (1u << m)))
            continue;
        const sla_clock *c = &t->clocks[t->slot[m]];
        p = put_varint(p, c->resume_ms);
        p = put_varint(p, c->cycle);
        p = put_varint(p, c->elapsed_ms);
        *p++ = (unsigned char)c->state;
        *p++ = (unsigned char)(c->warned | c->acked << 1 | c->source << 2);
        *p++ = (unsigned char)c->fired;
    }
    return (size_t)(p - buf);
}

int sla_record_decode(const unsigned char *rec, size_t len, sla_record_view *t)
{
    const unsigned char *p = rec, *end = rec + len;
    uint64_t v, alen;
    if (p >= end)
        return -1;
    unsigned version = *p++;
    if (version != 1 && version != RECORD_VERSION)
        return -1;
    if (get_varint(&p, end, &t->last_ms) < 0 || get_varint(&p, end, &t->last_seq) < 0)
        return -1;
    if (get_varint(&p, end, &alen) < 0 || alen > (uint64_t)(end - p))
        return -1;
    if (!sla_attrpack_valid((const char *)p, (size_t)alen))
        return -1;
    t->attrs = (const char *)p;
    t->attrs_len = (size_t)alen;
    p += alen;
    unsigned ticket_flags = 0;
    if (version >= 2) {
        if (p >= end || (*p & ~RECORD_RESOLVED))
            return -1;
        ticket_flags = *p++;
    }
    if (p >= end)
        return -1;
    unsigned char mask = *p++;
    if (mask >> SLA_METRIC_COUNT)
        return -1;
    memset(t->clocks, 0, sizeof t->clocks);
    for (int m = 0; m < SLA_METRIC_COUNT; m++) {
        if (!(mask & (1u << m)))
            continue;
        sla_clock *c = &t->clocks[m];
        if (get_varint(&p, end, &v) < 0 || v >> 48)
            return -1;
        c->resume_ms = v;
        if (get_varint(&p, end, &v) < 0 || v >> 16)
            return -1;
        c->cycle = v;
        if (get_varint(&p, end, &v) < 0 || v >> 40)
            return -1;
        c->elapsed_ms = v;
        if (end - p < 3)
            return -1;
        unsigned state = *p++, flags = *p++, fired = *p++;
        if (state == SLA_CLOCK_IDLE || state > SLA_CLOCK_STOPPED ||
            (flags >> 2) > SLA_TARGET_ABSOLUTE)
            return -1;
        c->state = state;
        c->warned = flags & 1;
        c->acked = (flags >> 1) & 1;
        c->source = flags >> 2;
        c->fired = fired;
    }
    t->resolved = version >= 2 ? (ticket_flags & RECORD_RESOLVED) != 0
                               : t->clocks[SLA_METRIC_RESOLUTION].state == SLA_CLOCK_MET;
    return p == end ? 0 : -1;
}
