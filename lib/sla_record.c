/*
 * sla_record — ticket state encoding. See sla_record.h.
 */
#include "sla_record.h"

#include <stdio.h>
#include <string.h>

#include "sla_attrpack.h"
#include "sla_clockpack.h"
#include "sla_textwidth.h"
#include "sla_varint.h"

#define RECORD_VERSION 5
#define RECORD_RESOLVED 0x01 /* ticket flags */
#define RECORD_RESOLUTION_ENDED 0x02
#define RECEIVER_NAME_MAX 64 /* sla_config: 1..64 bytes of [A-Za-z0-9_.-] */

/* Version 5: a clock's head byte (sla_record.h). */
#define HEAD_CYCLE 0x20 /* the cycle is not 1: a varint follows */
#define HEAD_MOVED 0x40 /* the start is not the generation: a start follows */
#define HEAD_WORN 0x80  /* elapsed, warned, acked or fired set: they follow */
#define START_ATTRS 16  /* a start below this names an attribute (by position) */
#define VALUE_NUMBER 0xff /* v5 attributes: a decimal number as a varint */
#define VALUE_LITERAL 0xfe /* v5 attributes: a value beginning with 0xfe or 0xff */

size_t sla_record_max_size(const sla_ticket *t)
{
    /* A memo encodes in at most 5 bytes more than it occupies in memory
     * (varints of 10, 5 and 10 bytes for 8, 4 and 8; a length byte per
     * NUL, or for a `by` of none). */
    return 1 + 3 * 10 + 10 + t->attrs_len + t->attrs_len / 2 + 1 + 3 +
           SLA_SUBJECT_SLOTS * (3 * 10 + 3) + 1 +
           sla_ticket_memo_offset(t, SLA_SUBJECT_SLOTS) + SLA_SUBJECT_SLOTS * 5;
}

/* A value written as a number: 2 to 18 decimal digits, the first not 0. */
static int is_number(const char *v, size_t len, uint64_t *out)
{
    if (len < 2 || len > 18 || v[0] == '0')
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return 1;
}

/*
 * The compact attributes as version 5 writes them into out (NULL: only
 * count): the same entries, a value of decimal digits as VALUE_NUMBER and
 * its varint (no byte of which is 0 for a number above 0), a value that
 * begins with VALUE_LITERAL or VALUE_NUMBER behind a VALUE_LITERAL.
 * Returns the length.
 */
static size_t attrs_encode(const char *a, size_t len, unsigned char *out)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        unsigned char c = (unsigned char)a[pos++];
        if (out)
            out[n] = c;
        n++;
        if (c == 0) { /* a spelled-out key */
            size_t k = strlen(a + pos) + 1;
            if (out)
                memcpy(out + n, a + pos, k);
            n += k;
            pos += k;
        }
        const char *v = a + pos;
        size_t vlen = strlen(v);
        pos += vlen + 1;
        uint64_t num;
        if (is_number(v, vlen, &num)) {
            unsigned char tmp[10];
            size_t w = (size_t)(sla_varint_put(tmp, num) - tmp);
            if (out) {
                out[n] = VALUE_NUMBER;
                memcpy(out + n + 1, tmp, w);
                out[n + 1 + w] = 0;
            }
            n += 2 + w;
            continue;
        }
        int escape = vlen && ((unsigned char)v[0] == VALUE_NUMBER ||
                              (unsigned char)v[0] == VALUE_LITERAL);
        if (out) {
            if (escape)
                out[n] = VALUE_LITERAL;
            memcpy(out + n + escape, v, vlen + 1);
        }
        n += (size_t)escape + vlen + 1;
    }
    return n;
}

/* Version 5's attributes back into the compact form (out holds
 * SLA_ATTRPACK_MAX bytes): the length, or -1 when malformed or too long. */
static long attrs_decode(const unsigned char *p, size_t len, char *out)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        unsigned char c = p[pos++];
        int strings = c ? 1 : 2;
        if (n >= SLA_ATTRPACK_MAX)
            return -1;
        out[n++] = (char)c;
        for (int s = 0; s < strings; s++) {
            const unsigned char *z = memchr(p + pos, 0, len - pos);
            if (!z)
                return -1;
            size_t slen = (size_t)(z - (p + pos));
            const unsigned char *v = p + pos;
            pos += slen + 1;
            if (s == strings - 1 && slen && v[0] == VALUE_NUMBER) {
                const unsigned char *q = v + 1;
                uint64_t num;
                char digits[24];
                if (sla_varint_get(&q, z, &num) < 0 || q != z)
                    return -1;
                int d = snprintf(digits, sizeof digits, "%llu", (unsigned long long)num);
                if (!is_number(digits, (size_t)d, &num))
                    return -1; /* not how the encoder writes it */
                if ((size_t)d + 1 > SLA_ATTRPACK_MAX - n)
                    return -1;
                memcpy(out + n, digits, (size_t)d + 1);
                n += (size_t)d + 1;
                continue;
            }
            if (s == strings - 1 && slen && v[0] == VALUE_LITERAL) {
                if (slen < 2 || (v[1] != VALUE_LITERAL && v[1] != VALUE_NUMBER))
                    return -1; /* an escape of nothing to escape */
                v++;
                slen--;
            }
            if (slen + 1 > SLA_ATTRPACK_MAX - n)
                return -1;
            memcpy(out + n, v, slen + 1);
            n += slen + 1;
        }
    }
    return (long)n;
}

/* A clock just started with its subject: nothing of it but the mask bit. */
static int fresh(const sla_clock *c, uint64_t generation)
{
    return c->state == SLA_CLOCK_RUNNING && c->cycle == 1 && c->resume_ms == generation &&
           c->elapsed_ms == 0 && !c->warned && !c->acked && c->fired == 0 &&
           c->source == SLA_TARGET_POLICY;
}

size_t sla_record_encode(const sla_ticket *t, unsigned char *buf)
{
    unsigned char *p = buf;
    *p++ = RECORD_VERSION;
    p = sla_varint_put(p, t->last_ms);
    p = sla_varint_put(p, t->last_seq);
    /* modulo 2^64: last_ms may be any 64-bit number */
    p = sla_varint_put(p, sla_zigzag((int64_t)(t->generation - t->last_ms)));
    size_t alen = attrs_encode(sla_ticket_attrs(t), t->attrs_len, NULL);
    p = sla_varint_put(p, alen);
    attrs_encode(sla_ticket_attrs(t), t->attrs_len, p);
    p += alen;
    *p++ = (unsigned char)((t->resolved ? RECORD_RESOLVED : 0) |
                           (t->resolution_ended ? RECORD_RESOLUTION_ENDED : 0));
    unsigned char mask = 0, fresh_mask = 0;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++)
        if (t->slot[m] != SLA_SLOT_NONE && t->clocks[t->slot[m]].state != SLA_CLOCK_IDLE) {
            mask |= (unsigned char)(1u << m);
            if (fresh(&t->clocks[t->slot[m]], t->generation))
                fresh_mask |= (unsigned char)(1u << m);
        }
    *p++ = mask;
    *p++ = fresh_mask;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++) {
        if (!(mask & (1u << m)) || (fresh_mask & (1u << m)))
            continue;
        const sla_clock *c = &t->clocks[t->slot[m]];
        int worn = c->elapsed_ms || c->warned || c->acked || c->fired;
        int moved = c->resume_ms != t->generation;
        *p++ = (unsigned char)((c->state - 1) | c->source << 2 | (c->cycle != 1 ? HEAD_CYCLE : 0) |
                               (moved ? HEAD_MOVED : 0) | (worn ? HEAD_WORN : 0));
        if (c->cycle != 1)
            p = sla_varint_put(p, c->cycle);
        if (moved) {
            int k = c->source == SLA_TARGET_AHEAD
                        ? sla_clockpack_start_attr(sla_ticket_attrs(t), t->attrs_len,
                                                   c->resume_ms)
                        : -1;
            p = sla_varint_put(p, k >= 0 ? (uint64_t)k
                                         : START_ATTRS + sla_zigzag((int64_t)c->resume_ms -
                                                                    (int64_t)t->generation));
        }
        if (worn)
            p = sla_clockpack_put_wear(p, c);
    }
    *p++ = t->memo_mask;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++) {
        sla_memo mm;
        if (!sla_ticket_memo(t, m, &mm))
            continue;
        p = sla_varint_put(p, (uint64_t)mm.deadline_ms);
        p = sla_varint_put(p, mm.recoveries);
        p = sla_varint_put(p, (uint64_t)mm.acked_ms);
        size_t by_len = strlen(mm.by);
        *p++ = (unsigned char)by_len;
        memcpy(p, mm.by, by_len);
        p += by_len;
        *p++ = (unsigned char)mm.nreceivers;
        const char *name = mm.receivers;
        for (unsigned i = 0; i < mm.nreceivers; i++) {
            size_t len = strlen(name);
            *p++ = (unsigned char)len;
            memcpy(p, name, len);
            p += len;
            name += len + 1;
        }
    }
    return (size_t)(p - buf);
}

static int receiver_name_valid(const unsigned char *s, size_t len)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    if (len == 0 || len > RECEIVER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!memchr(ok, s[i], sizeof ok - 1))
            return 0;
    return 1;
}

int sla_record_by_valid(const char *by, size_t len)
{
    if (len > SLA_MEMO_BY_MAX)
        return 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sla_utf8_next(by + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return 0;
        i += n;
    }
    return 1;
}

/* One memo; version 4 has the acknowledgement, which needs `acked`. */
static int decode_memo(const unsigned char **pp, const unsigned char *end, unsigned version,
                       int acked, sla_record_memo *mm)
{
    const unsigned char *p = *pp;
    uint64_t v;
    if (sla_varint_get(&p, end, &v) < 0)
        return -1;
    mm->deadline_ms = (int64_t)v;
    if (sla_varint_get(&p, end, &v) < 0 || v >> 32)
        return -1;
    mm->recoveries = (uint32_t)v;
    mm->acked_ms = 0;
    mm->by = NULL;
    mm->by_len = 0;
    if (version >= 4) {
        if (sla_varint_get(&p, end, &v) < 0 || v >> 48)
            return -1;
        mm->acked_ms = (int64_t)v;
        if (p >= end)
            return -1;
        size_t len = *p++;
        if (len > (size_t)(end - p) || !sla_record_by_valid((const char *)p, len))
            return -1;
        if (!acked && (v || len))
            return -1; /* who and when of a clock not acknowledged */
        mm->by = (const char *)p;
        mm->by_len = len;
        p += len;
    }
    if (p >= end || *p > SLA_MEMO_MAX_RECEIVERS)
        return -1;
    mm->nreceivers = *p++;
    for (unsigned i = 0; i < mm->nreceivers; i++) {
        if (p >= end)
            return -1;
        size_t len = *p++;
        if (len > (size_t)(end - p) || !receiver_name_valid(p, len))
            return -1;
        for (unsigned j = 0; j < i; j++)
            if (mm->name_len[j] == len && memcmp(mm->names[j], p, len) == 0)
                return -1;
        mm->names[i] = (const char *)p;
        mm->name_len[i] = (uint8_t)len;
        p += len;
    }
    *pp = p;
    return 0;
}

/* One clock of a version-5 record (sla_record.h); t has the generation
 * and the attributes. */
static int decode_clock5(const unsigned char **pp, const unsigned char *end,
                         const sla_record_view *t, int is_fresh, sla_clock *c)
{
    c->resume_ms = t->generation;
    c->cycle = 1;
    if (is_fresh) {
        c->state = SLA_CLOCK_RUNNING;
        return 0;
    }
    const unsigned char *p = *pp;
    if (p >= end)
        return -1;
    unsigned head = *p++;
    unsigned source = (head >> 2) & 7;
    if (source > SLA_TARGET_SOURCE_MAX)
        return -1;
    c->state = (head & 3) + 1;
    c->source = source;
    uint64_t v;
    if (head & HEAD_CYCLE) {
        if (sla_varint_get(&p, end, &v) < 0 || v >> 16 || v == 1)
            return -1;
        c->cycle = v;
    }
    if (head & HEAD_MOVED) {
        if (sla_varint_get(&p, end, &v) < 0)
            return -1;
        if (v < START_ATTRS) {
            size_t pos = 0;
            sla_attrpack_pair pr;
            uint64_t d = 0;
            for (uint64_t k = 0; k <= v; k++)
                if (!sla_attrpack_next(t->attrs, t->attrs_len, &pos, &pr))
                    return -1;
            if (source != SLA_TARGET_AHEAD ||
                sla_clockpack_attr_time(pr.val, pr.val_len, &d) < 0)
                return -1;
            c->resume_ms = d;
        } else {
            v -= START_ATTRS;
            if (v >> 50)
                return -1;
            int64_t r = (int64_t)t->generation + sla_unzigzag(v);
            if (r < 0 || r >> 48)
                return -1;
            c->resume_ms = (uint64_t)r;
        }
    }
    if ((head & HEAD_WORN) && sla_clockpack_get_wear(&p, end, c) < 0)
        return -1;
    *pp = p;
    return 0;
}

int sla_record_decode(const unsigned char *rec, size_t len, sla_record_view *t)
{
    const unsigned char *p = rec, *end = rec + len;
    uint64_t v, alen;
    if (p >= end || *p < 1 || *p > RECORD_VERSION)
        return -1;
    t->version = *p++;
    if (sla_varint_get(&p, end, &t->last_ms) < 0 || sla_varint_get(&p, end, &t->last_seq) < 0)
        return -1;
    t->generation = 0;
    if (t->version >= 3 && sla_varint_get(&p, end, &t->generation) < 0)
        return -1;
    if (t->version >= 5) /* the distance from last_ms, modulo 2^64 */
        t->generation = t->last_ms + (uint64_t)sla_unzigzag(t->generation);
    if (t->generation >> 48)
        return -1;
    if (sla_varint_get(&p, end, &alen) < 0 || alen > (uint64_t)(end - p))
        return -1;
    t->attrs = (const char *)p;
    t->attrs_len = (size_t)alen;
    if (t->version >= 5) {
        long n = attrs_decode(p, (size_t)alen, t->attrs_buf);
        if (n < 0)
            return -1;
        t->attrs = t->attrs_buf;
        t->attrs_len = (size_t)n;
    }
    if (!sla_attrpack_valid(t->attrs, t->attrs_len))
        return -1;
    p += alen;
    unsigned ticket_flags = 0;
    if (t->version >= 2) {
        if (p >= end || (*p & ~(RECORD_RESOLVED | RECORD_RESOLUTION_ENDED)))
            return -1;
        ticket_flags = *p++;
    }
    if (p >= end)
        return -1;
    unsigned char mask = *p++, fresh_mask = 0;
    if (mask >> SLA_SUBJECT_SLOTS)
        return -1;
    if (t->version >= 5) {
        if (p >= end || (*p & ~mask))
            return -1;
        fresh_mask = *p++;
    }
    memset(t->clocks, 0, sizeof t->clocks);
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++) {
        if (!(mask & (1u << m)))
            continue;
        sla_clock *c = &t->clocks[m];
        if (t->version >= 5) {
            if (decode_clock5(&p, end, t, fresh_mask & (1u << m), c) < 0)
                return -1;
            continue;
        }
        if (sla_varint_get(&p, end, &v) < 0 || v >> 48)
            return -1;
        c->resume_ms = v;
        if (sla_varint_get(&p, end, &v) < 0 || v >> 16)
            return -1;
        c->cycle = v;
        if (sla_varint_get(&p, end, &v) < 0 || v >> 40)
            return -1;
        c->elapsed_ms = v;
        if (end - p < 3)
            return -1;
        unsigned state = *p++, flags = *p++, fired = *p++;
        if (state == SLA_CLOCK_IDLE || state > SLA_CLOCK_STOPPED ||
            (flags >> 2) > SLA_TARGET_SOURCE_MAX)
            return -1;
        c->state = state;
        c->warned = flags & 1;
        c->acked = (flags >> 1) & 1;
        c->source = flags >> 2;
        c->fired = fired;
    }
    t->resolved = t->version >= 2 ? (ticket_flags & RECORD_RESOLVED) != 0
                               : t->clocks[SLA_METRIC_RESOLUTION].state == SLA_CLOCK_MET;
    t->resolution_ended = (ticket_flags & RECORD_RESOLUTION_ENDED) != 0;
    t->memo_mask = 0;
    if (t->version >= 3) {
        if (p >= end)
            return -1;
        unsigned memos = *p++;
        for (int m = 0; m < SLA_SUBJECT_SLOTS; m++)
            if ((memos & (1u << m)) && t->clocks[m].fired == 0)
                return -1; /* absent (IDLE, fired 0) or not breached */
        if (memos >> SLA_SUBJECT_SLOTS)
            return -1;
        for (int m = 0; m < SLA_SUBJECT_SLOTS; m++)
            if ((memos & (1u << m)) &&
                decode_memo(&p, end, t->version, t->clocks[m].acked, &t->memos[m]) < 0)
                return -1;
        t->memo_mask = memos;
    }
    return p == end ? 0 : -1;
}
