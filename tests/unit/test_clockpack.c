/*
 * test_clockpack — customers' clocks packed at rest lose nothing.
 *
 * sla_clockpack alone: every field of every clock comes back bit for bit,
 * at the edges of each field and for random clocks against random bases,
 * and damaged bytes are refused. Then the engine: the same events and the
 * same time steps applied to two engines on the shipped norms, one that
 * packs its customers at rest and one that keeps their clocks wide (the
 * representation before packing), must give the same decisions (ids,
 * deadlines, receivers), the same records, and the same deadlines in
 * `customer` and `due` answers: far-future dates, dates off the second,
 * the business calendar of the reminder, reminders moved to later dates,
 * revisits, a tier change, acknowledgements, a reload, and a restart from
 * the records.
 */
#include "check.h"
#include "engine_fixture.h"
#include "sla_attrpack.h"
#include "sla_attrs.h"
#include "sla_clockpack.h"
#include "sla_record.h"
#include "sla_varint.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Compact attributes holding dates (and a value that is none). */
static char dates[128];
static size_t dates_len;

/* Pack and unpack n clocks against base and the dates; 1 when they come
 * back equal. */
static int round_trip(const sla_clock *c, size_t n, uint64_t base)
{
    unsigned char buf[SLA_SUBJECT_SLOTS * SLA_CLOCKPACK_MAX];
    sla_clock back[SLA_SUBJECT_SLOTS];
    size_t size = sla_clockpack_size(c, n, base, dates, dates_len);
    if (size > sizeof buf || size > n * SLA_CLOCKPACK_MAX ||
        sla_clockpack_encode(c, n, base, dates, dates_len, buf) != size)
        return 0;
    memset(back, 0xa5, sizeof back);
    if (sla_clockpack_decode(buf, size, n, base, dates, dates_len, back) < 0)
        return 0;
    return memcmp(back, c, n * sizeof *c) == 0;
}

static void set_dates(void)
{
    sla_field f[] = {{"tier", 4, "vip", 3},
                     {"contract_end", 12, "1799107200123", 13},
                     {"renewal", 7, "253402300799999", 15}, /* 9999-12-31T23:59:59.999Z */
                     {"upgrade", 7, "2026-03-01T00:00:00.456Z", 24}};
    char *plain = NULL;
    size_t plen = 0;
    sla_attrs_merge(&plain, &plen, f, 4);
    dates_len = sla_attrpack_size(plain, plen);
    sla_attrpack_pack(plain, plen, dates);
    free(plain);
}

static sla_clock edge_clock(int i)
{
    static const uint64_t times[] = {0, 1, 999, 1799107200123ULL, (1ULL << 47), (1ULL << 48) - 1};
    static const uint64_t cycles[] = {0, 1, 127, 128, 65535};
    static const uint64_t elapsed[] = {0, 1, 127, 86400000, (1ULL << 40) - 1};
    sla_clock c;
    memset(&c, 0, sizeof c);
    c.resume_ms = times[i % 6];
    c.cycle = cycles[(i / 6) % 5];
    c.elapsed_ms = elapsed[(i / 30) % 5];
    c.state = (unsigned)(i / 150) % 5;
    c.warned = (unsigned)(i / 750) & 1;
    c.acked = (unsigned)(i / 1500) & 1;
    c.source = (unsigned)(i / 3000) % 8;
    c.fired = (unsigned)(i * 37) & 255;
    c.policy = (unsigned)(i * 101) & 255;
    return c;
}

static void test_edges(void)
{
    static const uint64_t bases[] = {0, 1767571200000ULL, (1ULL << 48) - 1};
    int bad = 0;
    for (int i = 0; i < 24000; i++)
        for (size_t b = 0; b < 3; b++) {
            sla_clock c = edge_clock(i);
            bad += !round_trip(&c, 1, bases[b]);
        }
    CHECK_INT(bad, 0);
}

static void test_random(void)
{
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        sla_clock c[SLA_SUBJECT_SLOTS];
        size_t n = 1 + next_rand() % SLA_SUBJECT_SLOTS;
        for (size_t k = 0; k < n; k++) /* every bit of the 16 bytes random */
            for (size_t j = 0; j < sizeof c[k]; j += 8) {
                uint64_t r = next_rand();
                memcpy((char *)&c[k] + j, &r, 8);
            }
        for (size_t k = 0; k < n && (i & 1); k++)
            c[k].resume_ms = 1767571200000ULL + k * 86400000ULL; /* near the base */
        uint64_t base = next_rand() & ((1ULL << 48) - 1);
        if (i & 1)
            base = 1767571200000ULL;
        bad += !round_trip(c, n, base);
    }
    CHECK_INT(bad, 0);
}

/* A signed customer's clocks: four from the signing, a reminder on a date. */
static void test_small_and_strict(void)
{
    const uint64_t base = 1767571200000ULL + 3600000;
    sla_clock c[5];
    memset(c, 0, sizeof c);
    for (int k = 0; k < 5; k++) {
        c[k].state = SLA_CLOCK_RUNNING;
        c[k].cycle = 1;
        c[k].resume_ms = base;
        c[k].policy = (unsigned)(20 + k);
    }
    c[4].resume_ms = 1799107200123ULL; /* contract_end, attribute 1 */
    c[4].source = SLA_TARGET_AHEAD;
    size_t size = sla_clockpack_size(c, 5, base, dates, dates_len);
    CHECK_INT(size, 4 * 2 + 3); /* against 80 bytes wide */
    CHECK(round_trip(c, 5, base));
    CHECK_INT(sla_clockpack_size(c, 5, base, NULL, 0), 4 * 2 + 2 + 6); /* the date written */
    c[4].resume_ms = 253402300799999ULL; /* renewal */
    CHECK_INT(sla_clockpack_size(c, 5, base, dates, dates_len), 4 * 2 + 3);
    CHECK(round_trip(c, 5, base));
    c[4].resume_ms = 1772323200456ULL; /* upgrade, to the millisecond */
    CHECK_INT(sla_clockpack_size(c, 5, base, dates, dates_len), 4 * 2 + 3);
    CHECK(round_trip(c, 5, base));
    c[4].source = SLA_TARGET_POLICY; /* only a date's clock refers to attributes */
    CHECK(sla_clockpack_size(c, 5, base, dates, dates_len) > 4 * 2 + 3);
    CHECK(round_trip(c, 5, base));
    c[4].source = SLA_TARGET_AHEAD;
    c[4].resume_ms = 1799107200123ULL;

    unsigned char buf[64];
    size = sla_clockpack_encode(c, 5, base, dates, dates_len, buf);
    sla_clock back[SLA_SUBJECT_SLOTS]; /* room for the 6 asked below */
    for (size_t cut = 0; cut < size; cut++)
        CHECK_INT(sla_clockpack_decode(buf, cut, 5, base, dates, dates_len, back), -1);
    buf[size] = 0;
    CHECK_INT(sla_clockpack_decode(buf, size + 1, 5, base, dates, dates_len, back), -1);
    CHECK_INT(sla_clockpack_decode(buf, size, 4, base, dates, dates_len, back), -1); /* left */
    CHECK_INT(sla_clockpack_decode(buf, size, 6, base, dates, dates_len, back), -1); /* few */
    /* the attribute referred to holds no date, or is missing */
    CHECK_INT(buf[size - 1], 1);
    buf[size - 1] = 0; /* tier */
    CHECK_INT(sla_clockpack_decode(buf, size, 5, base, dates, dates_len, back), -1);
    buf[size - 1] = 4;
    CHECK_INT(sla_clockpack_decode(buf, size, 5, base, dates, dates_len, back), -1);
    buf[size - 1] = 1;
    CHECK_INT(sla_clockpack_decode(buf, size, 5, base, NULL, 0, back), -1);
    CHECK_INT(sla_clockpack_decode(buf, size, 5, base, dates, dates_len, back), 0);
    /* a start before the epoch or past 48 bits is refused */
    sla_clock far = c[0];
    far.resume_ms = (1ULL << 48) - 1;
    size = sla_clockpack_encode(&far, 1, 0, NULL, 0, buf);
    CHECK_INT(sla_clockpack_decode(buf, size, 1, 0, NULL, 0, back), 0);
    CHECK_INT(sla_clockpack_decode(buf, size, 1, 1, NULL, 0, back), -1);
    far.resume_ms = 0;
    size = sla_clockpack_encode(&far, 1, 5, NULL, 0, buf);
    CHECK_INT(sla_clockpack_decode(buf, size, 1, 4, NULL, 0, back), -1);
}

/* ------------------------------------------------------------ the engine */

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (unsigned char)(v | 0x80);
    *p++ = (unsigned char)v;
    return p;
}

/* The record v as version 4 wrote it (sla_record.h), the encoder before
 * version 5; returns its length. */
static size_t encode_v4(const sla_record_view *v, unsigned char *buf)
{
    unsigned char *p = buf;
    *p++ = 4;
    p = put_varint(p, v->last_ms);
    p = put_varint(p, v->last_seq);
    p = put_varint(p, v->generation);
    p = put_varint(p, v->attrs_len);
    memcpy(p, v->attrs, v->attrs_len);
    p += v->attrs_len;
    *p++ = (unsigned char)(v->resolved | v->resolution_ended << 1);
    unsigned char mask = 0;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++)
        if (v->clocks[m].state != SLA_CLOCK_IDLE)
            mask |= (unsigned char)(1u << m);
    *p++ = mask;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++) {
        const sla_clock *c = &v->clocks[m];
        if (!(mask & (1u << m)))
            continue;
        p = put_varint(p, c->resume_ms);
        p = put_varint(p, c->cycle);
        p = put_varint(p, c->elapsed_ms);
        *p++ = (unsigned char)c->state;
        *p++ = (unsigned char)(c->warned | c->acked << 1 | c->source << 2);
        *p++ = (unsigned char)c->fired;
    }
    *p++ = (unsigned char)v->memo_mask;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++) {
        const sla_record_memo *mm = &v->memos[m];
        if (!(v->memo_mask & (1u << m)))
            continue;
        p = put_varint(p, (uint64_t)mm->deadline_ms);
        p = put_varint(p, mm->recoveries);
        p = put_varint(p, (uint64_t)mm->acked_ms);
        *p++ = (unsigned char)mm->by_len;
        memcpy(p, mm->by, mm->by_len);
        p += mm->by_len;
        *p++ = (unsigned char)mm->nreceivers;
        for (unsigned i = 0; i < mm->nreceivers; i++) {
            *p++ = mm->name_len[i];
            memcpy(p, mm->names[i], mm->name_len[i]);
            p += mm->name_len[i];
        }
    }
    return (size_t)(p - buf);
}

/* Two decoded records say the same (memos by content). */
static int same_view(const sla_record_view *a, const sla_record_view *b)
{
    if (a->last_ms != b->last_ms || a->last_seq != b->last_seq ||
        a->generation != b->generation || a->attrs_len != b->attrs_len ||
        memcmp(a->attrs, b->attrs, a->attrs_len) != 0 || a->resolved != b->resolved ||
        a->resolution_ended != b->resolution_ended || a->memo_mask != b->memo_mask ||
        memcmp(a->clocks, b->clocks, sizeof a->clocks) != 0)
        return 0;
    for (int m = 0; m < SLA_SUBJECT_SLOTS; m++) {
        const sla_record_memo *x = &a->memos[m], *y = &b->memos[m];
        if (!(a->memo_mask & (1u << m)))
            continue;
        if (x->deadline_ms != y->deadline_ms || x->recoveries != y->recoveries ||
            x->acked_ms != y->acked_ms || x->by_len != y->by_len ||
            memcmp(x->by, y->by, x->by_len) != 0 || x->nreceivers != y->nreceivers)
            return 0;
        for (unsigned i = 0; i < x->nreceivers; i++)
            if (x->name_len[i] != y->name_len[i] ||
                memcmp(x->names[i], y->names[i], x->name_len[i]) != 0)
                return 0;
    }
    return 1;
}

static char conf_path[512];
static fixture packed, wide; /* the same input to both */
static int mismatches;

#define BOTH(at, id, type, ...)                                                              \
    do {                                                                                     \
        int ra_ = fx_event(&packed, at, "customer", id, "type", type, ##__VA_ARGS__, NULL); \
        int rb_ = fx_event(&wide, at, "customer", id, "type", type, ##__VA_ARGS__, NULL);   \
        CHECK_INT(ra_, rb_);                                                                 \
        compare();                                                                           \
    } while (0)

static const char *const ids[] = {"c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8"};
#define NIDS (sizeof ids / sizeof ids[0])

static int same_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* Everything the two engines said since the last compare, and their clocks now. */
static void compare(void)
{
    sla_output *a = &packed.out, *b = &wide.out;
    int bad = a->ndecisions != b->ndecisions || a->nupserts != b->nupserts ||
              a->nremoved != b->nremoved;
    for (size_t i = 0; !bad && i < a->ndecisions; i++) {
        const sla_decision *x = &a->decisions[i], *y = &b->decisions[i];
        bad = x->kind != y->kind || strcmp(x->id, y->id) != 0 || strcmp(x->ticket, y->ticket) ||
              x->metric != y->metric || x->cycle != y->cycle || x->level != y->level ||
              x->deadline_ms != y->deadline_ms || x->fired_ms != y->fired_ms ||
              !same_str(x->receiver, y->receiver) || !same_str(x->policy, y->policy);
    }
    for (size_t i = 0; !bad && i < a->nupserts; i++)
        bad = a->upserts[i].ticket_len != b->upserts[i].ticket_len ||
              a->upserts[i].record_len != b->upserts[i].record_len ||
              memcmp(a->upserts[i].record, b->upserts[i].record, a->upserts[i].record_len) != 0;
    int64_t now = sla_engine_next_wakeup(wide.eng);
    for (size_t k = 0; !bad && k < NIDS; k++) {
        sla_clock_info ca[SLA_METRIC_COUNT], cb[SLA_METRIC_COUNT];
        const char *attrs;
        size_t alen;
        int na = sla_engine_subject_info(packed.eng, SLA_SUBJECT_CUSTOMER, ids[k],
                                         strlen(ids[k]), now, ca, &attrs, &alen);
        int nb = sla_engine_subject_info(wide.eng, SLA_SUBJECT_CUSTOMER, ids[k], strlen(ids[k]),
                                         now, cb, &attrs, &alen);
        bad = na != nb;
        for (int i = 0; !bad && i < na; i++)
            bad = ca[i].metric != cb[i].metric || ca[i].state != cb[i].state ||
                  ca[i].cycle != cb[i].cycle || ca[i].deadline_ms != cb[i].deadline_ms ||
                  ca[i].elapsed_ms != cb[i].elapsed_ms || ca[i].fired != cb[i].fired ||
                  ca[i].warned != cb[i].warned || ca[i].acked != cb[i].acked ||
                  ca[i].policy != cb[i].policy;
    }
    if (!bad) {
        sla_due_item da[64], db[64];
        size_t na = fx_list(&packed, T0, -1, 0, da, 64);
        size_t nb = fx_list(&wide, T0, -1, 0, db, 64);
        bad = na != nb;
        for (size_t i = 0; !bad && i < na && i < 64; i++)
            bad = da[i].metric != db[i].metric || da[i].deadline_ms != db[i].deadline_ms ||
                  strcmp(da[i].ticket, db[i].ticket) != 0;
    }
    if (bad)
        mismatches++;
    fx_take(&packed);
    fx_take(&wide);
}

static void both_run_until(int64_t until)
{
    for (int guard = 0; guard < 100000; guard++) {
        int64_t na = sla_engine_next_wakeup(packed.eng), nb = sla_engine_next_wakeup(wide.eng);
        CHECK_INT(na, nb);
        if (na != nb || na > until)
            break;
        fx_advance(&packed, na);
        fx_advance(&wide, na);
        compare();
    }
    fx_advance(&packed, until);
    fx_advance(&wide, until);
    compare();
}

/* The open customers' clocks bytes per customer and how many rest packed. */
static double clock_bytes(fixture *fx, size_t *npacked)
{
    sla_engine_footprint fp;
    sla_engine_get_footprint(fx->eng, SLA_SUBJECT_CUSTOMER, &fp);
    *npacked = fp.packed;
    return fp.subjects ? (double)fp.clocks / (double)fp.subjects : 0;
}

/* A clock's wear, the bytes the packed clocks and the record share: back
 * bit for bit at the edges of its fields, and refused when a field is out
 * of range or the bytes end first. */
static void test_wear(void)
{
    static const sla_clock edges[] = {
        {.elapsed_ms = 0, .warned = 0, .acked = 0, .fired = 0},
        {.elapsed_ms = (UINT64_C(1) << 40) - 1, .warned = 1, .acked = 1, .fired = 255},
        {.elapsed_ms = 127, .warned = 1, .acked = 0, .fired = 1},
        {.elapsed_ms = 128, .warned = 0, .acked = 1, .fired = 2},
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        unsigned char buf[8];
        unsigned char *e = sla_clockpack_put_wear(buf, &edges[i]);
        CHECK(e - buf <= 8);
        const unsigned char *p = buf;
        sla_clock got = {0};
        CHECK_INT(sla_clockpack_get_wear(&p, e, &got), 0);
        CHECK(p == e);
        CHECK(got.elapsed_ms == edges[i].elapsed_ms && got.warned == edges[i].warned &&
              got.acked == edges[i].acked && got.fired == edges[i].fired);
        /* One byte short. */
        p = buf;
        CHECK_INT(sla_clockpack_get_wear(&p, e - 1, &got), -1);
    }
    sla_clock got = {0};
    const unsigned char *p;
    /* The flags byte has bits above acked. */
    static const unsigned char flags[] = {0x05, 0x04, 0x00};
    p = flags;
    CHECK_INT(sla_clockpack_get_wear(&p, flags + sizeof flags, &got), -1);
    /* elapsed_ms of 2^40: past its 40 bits. */
    unsigned char big[16];
    unsigned char *e = sla_varint_put(big, UINT64_C(1) << 40);
    *e++ = 0;
    *e++ = 0;
    p = big;
    CHECK_INT(sla_clockpack_get_wear(&p, e, &got), -1);
}

static void test_engine_same(void)
{
    if (fx_init_path(&packed, conf_path, T0) < 0 || fx_init_path(&wide, conf_path, T0) < 0) {
        CHECK(0);
        return;
    }
    sla_engine_set_packing(wide.eng, 0);
    const int64_t s = T0 + 9 * HOUR + 123; /* off the second */
    /* far-future dates: the last millisecond of year 9999, and 48 bits' end */
    BOTH(s, "c-1", "customer.signed", "tier", "vip", "contract_end", "253402300799999");
    BOTH(s + 1, "c-2", "customer.signed", "tier", "ordinary", "contract_end",
         "2026-03-01T00:00:00.456Z", "renewal", "2026-02-14T08:00:00Z");
    BOTH(s + 2, "c-3", "customer.signed", "tier", "potential", "upgrade", "281474976710655");
    BOTH(s + 3, "c-4", "customer.signed", "contract_end", "1767571200001");
    BOTH(s + 4, "c-5", "customer.updated", "tier", "vip"); /* opened without onboarding */
    BOTH(s + 5, "c-6", "customer.signed", "tier", "vip", "contract_end", "2026-01-25T12:00:00Z");
    size_t np, nw;
    double pb = clock_bytes(&packed, &np), wb = clock_bytes(&wide, &nw);
    CHECK_INT(np, 6);    /* every customer rests packed in one */
    CHECK_INT(nw, 0);    /* and none in the other */
    CHECK(pb < wb / 4); /* against 16 bytes a clock */

    both_run_until(s + 5 * DAY + 7);
    BOTH(s + 6 * DAY + 999, "c-1", "customer.revisited", "satisfaction", "2");
    /* a Sunday 15 days ahead: the calendar moves the reminder back */
    BOTH(s + 6 * DAY + 1000, "c-4", "customer.updated", "contract_end", "2026-02-01T10:00:00Z");
    both_run_until(s + 8 * DAY);
    CHECK(sla_engine_ack_subject(packed.eng, SLA_SUBJECT_CUSTOMER, "c-2", 3,
                                 SLA_METRIC_FIRST_REVISIT, "Ann", s + 8 * DAY + 5) ==
          sla_engine_ack_subject(wide.eng, SLA_SUBJECT_CUSTOMER, "c-2", 3,
                                 SLA_METRIC_FIRST_REVISIT, "Ann", s + 8 * DAY + 5));
    sla_engine_collect(packed.eng, &packed.out);
    sla_engine_collect(wide.eng, &wide.out);
    compare();
    both_run_until(s + 20 * DAY + 17);
    BOTH(s + 20 * DAY + 18, "c-6", "customer.reminded");
    BOTH(s + 21 * DAY, "c-2", "customer.revisited", "satisfaction", "5");
    BOTH(s + 22 * DAY, "c-2", "customer.revisited");
    BOTH(s + 23 * DAY, "c-2", "customer.updated", "tier", "vip", "contract_end",
         "2027-06-30T23:59:59.999Z");
    BOTH(s + 24 * DAY, "c-3", "customer.reviewed");
    /* a reload: both re-match every customer, in slices */
    sla_engine_set_config(packed.eng, packed.cfg, s + 25 * DAY);
    sla_engine_set_config(wide.eng, wide.cfg, s + 25 * DAY);
    while (!sla_engine_rematch_step(packed.eng, 3))
        ;
    while (!sla_engine_rematch_step(wide.eng, 3))
        ;
    compare();
    both_run_until(s + 200 * DAY);
    BOTH(s + 201 * DAY, "c-5", "customer.surveyed");
    BOTH(s + 202 * DAY, "c-4", "customer.churned");
    both_run_until(s + 800 * DAY);

    /* a restart: every open customer's record (a survey done writes each)
     * restored into fresh engines which go on: the packing one from the
     * records as written (version 5), the wide one from the same records
     * written as version 4 did */
    const int64_t r = s + 801 * DAY;
    sla_engine *e2[2];
    fixture *fx[2] = {&packed, &wide};
    for (int i = 0; i < 2; i++) {
        e2[i] = sla_engine_new(fx[i]->cfg, r);
        sla_engine_set_packing(e2[i], i == 0);
        for (size_t k = 0; k < NIDS; k++)
            fx_event(fx[i], r + (int64_t)k, "customer", ids[k], "type", "customer.surveyed",
                     NULL);
    }
    size_t restored = 0, bytes5 = 0, bytes4 = 0, same = 0;
    for (size_t u = 0; u < packed.out.nupserts; u++) {
        const sla_upsert *up = &packed.out.upserts[u];
        sla_record_view v5, v4;
        unsigned char old[1024];
        if (sla_record_decode(up->record, up->record_len, &v5) < 0 || v5.version != 5)
            continue;
        size_t n4 = encode_v4(&v5, old);
        same += sla_record_decode(old, n4, &v4) == 0 && v4.version == 4 && same_view(&v4, &v5);
        bytes5 += up->record_len;
        bytes4 += n4;
        restored += sla_engine_restore(e2[0], up->ticket, up->ticket_len, up->record,
                                       up->record_len, r + DAY) == 0;
        restored += sla_engine_restore(e2[1], up->ticket, up->ticket_len, old, n4, r + DAY) == 0;
    }
    CHECK_INT(restored, 2 * 5); /* c-4 churned; c-7, c-8 never were */
    CHECK_INT(same, 5);
    printf("records of 5 customers: %zu bytes (version 4: %zu)\n", bytes5, bytes4);
    CHECK(bytes5 + 5 * 20 <= bytes4);
    compare();
    for (int i = 0; i < 2; i++) {
        sla_engine_free(fx[i]->eng);
        fx[i]->eng = e2[i];
    }
    clock_bytes(&packed, &np);
    CHECK_INT(np, 5);
    both_run_until(s + 1200 * DAY);
    CHECK_INT(mismatches, 0);
    fx_release(&packed);
    fx_release(&wide);
}

int main(void)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    snprintf(conf_path, sizeof conf_path, "%s/conf/slad.conf", src ? src : ".");
    set_dates();
    test_edges();
    test_random();
    test_small_and_strict();
    test_wear();
    test_engine_same();
    return CHECK_DONE();
}
