/*
 * test_record — the durable ticket record: round trips, every way a stored
 * record can be corrupt is refused rather than trusted, and records of the
 * previous version still load and keep their decision ids.
 */
#include "check.h"
#include "engine_fixture.h"

#include <stdlib.h>

#include "sla_attrpack.h"
#include "sla_attrs.h"
#include "sla_record.h"

/* Append a breach memo (sla_ticket.h layout) at p; returns the end. */
static char *put_memo(char *p, int64_t deadline, uint32_t recoveries, int64_t acked_ms,
                      const char *by, const char *const *names, unsigned n)
{
    size_t by_size = by ? strlen(by) + 1 : 0;
    memcpy(p, &deadline, 8);
    memcpy(p + 8, &recoveries, 4);
    memcpy(p + SLA_MEMO_ACKED_AT, &acked_ms, 8);
    p[SLA_MEMO_BY_SIZE_AT] = (char)by_size;
    p[SLA_MEMO_N_AT] = (char)n;
    p += SLA_MEMO_HEAD;
    if (by_size)
        memcpy(p, by, by_size);
    p += by_size;
    for (unsigned i = 0; i < n; i++) {
        size_t len = strlen(names[i]) + 1;
        memcpy(p, names[i], len);
        p += len;
    }
    return p;
}

/* A ticket with three clocks (first_response, resolution, callback), a
 * generation, and memos for the two that fired, the first acknowledged. */
static sla_ticket *sample(void)
{
    sla_field f[] = {{"channel", 7, "chat", 4}, {"subject", 7, "\xe9\x80\x80\xe6\xac\xbe", 6},
                     {"amount", 6, "1200", 4}};
    char *plain = NULL;
    size_t plen = 0;
    sla_attrs_merge(&plain, &plen, f, 3);
    size_t alen = sla_attrpack_size(plain, plen);
    sla_ticket *t = calloc(1, sla_ticket_size(3, 3, alen) + 2 * SLA_MEMO_HEAD + 96);
    t->nclocks = 3;
    t->id_len = 3;
    t->attrs_len = (uint16_t)alen;
    memcpy(sla_ticket_id(t), "T-1", 4);
    sla_attrpack_pack(plain, plen, sla_ticket_attrs(t));
    free(plain);
    memset(t->slot, SLA_SLOT_NONE, sizeof t->slot);
    t->slot[SLA_METRIC_FIRST_RESPONSE] = 0;
    t->slot[SLA_METRIC_RESOLUTION] = 1;
    t->slot[SLA_METRIC_CALLBACK] = 2;
    t->last_ms = 1767571200123ULL;
    t->last_seq = 7;
    t->resolved = 1;
    t->generation = (1ULL << 48) - 1;
    sla_clock *c = &t->clocks[0];
    c->state = SLA_CLOCK_RUNNING;
    c->resume_ms = 1767571200000ULL;
    c->cycle = 3;
    c->fired = 2;
    c->warned = 1;
    c->acked = 1;
    c = &t->clocks[1];
    c->state = SLA_CLOCK_PAUSED;
    c->elapsed_ms = (1ULL << 40) - 1;
    c->acked = 1;
    c = &t->clocks[2];
    c->state = SLA_CLOCK_MET;
    c->source = SLA_TARGET_ABSOLUTE;
    c->resume_ms = (1ULL << 48) - 1;
    c->cycle = 65535;
    c->fired = 255;
    static const char *const told[] = {"team_lead", "manager.2"};
    char *p = sla_ticket_memos(t);
    p = put_memo(p, 1767571230000LL, 3, (1LL << 48) - 1, "\xe5\xbc\xa0\xe4\xb8\x89 (night shift)",
                 told, 2);
    put_memo(p, -1, UINT32_MAX, 0, NULL, NULL, 0);
    t->memo_mask = 1u << SLA_METRIC_FIRST_RESPONSE | 1u << SLA_METRIC_CALLBACK;
    return t;
}

static void test_round_trip(void)
{
    sla_ticket *t = sample();
    unsigned char buf[512];
    CHECK(sla_record_max_size(t) <= sizeof buf);
    size_t n = sla_record_encode(t, buf);
    CHECK(n > 0 && n <= sla_record_max_size(t));
    printf("sample record: %zu bytes (%u of attributes)\n", n, (unsigned)t->attrs_len);
    CHECK_INT(buf[0], 5);

    sla_record_view back;
    memset(&back, 0, sizeof back);
    CHECK_INT(sla_record_decode(buf, n, &back), 0);
    CHECK_INT(back.version, 5);
    CHECK_INT(back.last_ms, t->last_ms);
    CHECK_INT(back.last_seq, t->last_seq);
    CHECK_INT(back.resolved, 1);
    CHECK_INT(back.generation, t->generation);
    CHECK_INT(back.attrs_len, t->attrs_len);
    CHECK(memcmp(back.attrs, sla_ticket_attrs(t), back.attrs_len) == 0);
    CHECK_STR(sla_attrpack_get(back.attrs, back.attrs_len, "amount", 6), "1200");
    CHECK(memcmp(&back.clocks[SLA_METRIC_FIRST_RESPONSE], &t->clocks[0], sizeof(sla_clock)) == 0);
    CHECK(memcmp(&back.clocks[SLA_METRIC_RESOLUTION], &t->clocks[1], sizeof(sla_clock)) == 0);
    CHECK(memcmp(&back.clocks[SLA_METRIC_CALLBACK], &t->clocks[2], sizeof(sla_clock)) == 0);
    CHECK_INT(back.clocks[SLA_METRIC_PICKUP].state, SLA_CLOCK_IDLE);
    CHECK_INT(back.memo_mask, t->memo_mask);
    const sla_record_memo *mm = &back.memos[SLA_METRIC_FIRST_RESPONSE];
    CHECK_INT(mm->deadline_ms, 1767571230000LL);
    CHECK_INT(mm->recoveries, 3);
    CHECK(mm->nreceivers == 2 && mm->name_len[0] == 9 && memcmp(mm->names[0], "team_lead", 9) == 0 &&
          mm->name_len[1] == 9 && memcmp(mm->names[1], "manager.2", 9) == 0);
    CHECK_INT(mm->acked_ms, (1LL << 48) - 1);
    CHECK(mm->by_len == 20 && memcmp(mm->by, "\xe5\xbc\xa0\xe4\xb8\x89 (night shift)", 20) == 0);
    mm = &back.memos[SLA_METRIC_CALLBACK];
    CHECK(mm->deadline_ms == -1 && mm->recoveries == UINT32_MAX && mm->nreceivers == 0 &&
          mm->acked_ms == 0 && mm->by_len == 0);

    /* Every truncation is refused, and so are trailing bytes. */
    int accepted = 0;
    for (size_t cut = 0; cut < n; cut++)
        accepted += sla_record_decode(buf, cut, &back) == 0;
    CHECK_INT(accepted, 0);
    /* Trailing bytes, an unknown version. */
    unsigned char bad[600];
    memcpy(bad, buf, n);
    bad[n] = 0;
    CHECK_INT(sla_record_decode(bad, n + 1, &back), -1);
    bad[0] = 6;
    CHECK_INT(sla_record_decode(bad, n, &back), -1);
    bad[0] = 0;
    CHECK_INT(sla_record_decode(bad, n, &back), -1);
    free(t);
}

static sla_record_view v5view;

static int decodes(const unsigned char *rec, size_t len)
{
    sla_record_view v;
    return sla_record_decode(rec, len, &v) == 0;
}
#define DECODES(a) decodes(a, sizeof a)

static void test_refused(void)
{
    /* Unknown versions. */
    unsigned char v0[] = {0, 5, 0, 0, 0}, v5[] = {5, 5, 0, 0, 0, 0, 0, 0};
    CHECK(!DECODES(v0) && !DECODES(v5));
    /* The minimal records: no attributes, no clocks (v2: no ticket flags
     * set; v3: generation 9 and no memos). */
    unsigned char min1[] = {1, 5, 0, 0, 0}, min2[] = {2, 5, 0, 0, 0, 0},
                  min3[] = {3, 5, 0, 9, 0, 0, 0, 0};
    sla_record_view v;
    CHECK_INT(sla_record_decode(min1, sizeof min1, &v), 0);
    CHECK(v.version == 1 && v.last_ms == 5 && v.attrs_len == 0 && v.generation == 0 &&
          v.memo_mask == 0 && !v.resolved);
    CHECK_INT(sla_record_decode(min2, sizeof min2, &v), 0);
    CHECK(v.version == 2 && v.generation == 0 && v.memo_mask == 0 && !v.resolved);
    CHECK_INT(sla_record_decode(min3, sizeof min3, &v), 0);
    CHECK(v.version == 3 && v.generation == 9 && !v.resolved);
    /* A generation past 48 bits. */
    unsigned char gen[] = {3, 5, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0};
    CHECK(!DECODES(gen));
    /* Attributes that are not well-formed compact pairs. */
    unsigned char odd[] = {1, 0, 0, 3, 0, 'a', 0, 0};
    CHECK(!DECODES(odd));
    unsigned char unterminated[] = {1, 0, 0, 2, 'a', 'b', 0};
    CHECK(!DECODES(unterminated));
    /* A clock mask naming a metric that does not exist. */
    unsigned char mask[] = {1, 0, 0, 0, 0x80};
    CHECK(!DECODES(mask));
    /* Ticket flags this version does not know. */
    unsigned char flags[] = {2, 0, 0, 0, 0x04, 0};
    CHECK(!DECODES(flags));
    flags[4] = 0x01;
    CHECK_INT(sla_record_decode(flags, sizeof flags, &v), 0);
    CHECK_INT(v.resolved, 1);
    CHECK_INT(v.resolution_ended, 0);
    /* Bit 1: the resolution cycle ended once (reports count it once). */
    flags[4] = 0x03;
    CHECK_INT(sla_record_decode(flags, sizeof flags, &v), 0);
    CHECK_INT(v.resolution_ended, 1);
    /* A varint that never ends. */
    unsigned char endless[12] = {1};
    memset(endless + 1, 0xff, 11);
    CHECK(!DECODES(endless));

    /* Version 1 (no ticket flags) is still read: a met resolution clock
     * means the ticket was resolved, any other state that it was not. */
    unsigned char v1[] = {1, 5, 0, 0, 1u << SLA_METRIC_RESOLUTION, 0, 1, 0, SLA_CLOCK_MET, 0, 0};
    CHECK_INT(sla_record_decode(v1, sizeof v1, &v), 0);
    CHECK_INT(v.clocks[SLA_METRIC_RESOLUTION].cycle, 1);
    CHECK_INT(v.resolved, 1);
    v1[8] = SLA_CLOCK_RUNNING;
    CHECK_INT(sla_record_decode(v1, sizeof v1, &v), 0);
    CHECK_INT(v.resolved, 0);

    /* One clock (first_response: resume 0, cycle 1, elapsed 0, running,
     * no flags, fired 1) and its memo: deadline 16, 0 recoveries, "abc". */
#define HEAD 3, 5, 0, 1, 0, 0, 0x01, 0, 1, 0, 1, 0
    unsigned char good[] = {HEAD, 1, 0x01, 16, 0, 1, 3, 'a', 'b', 'c'};
    CHECK(DECODES(good));
    CHECK_INT(sla_record_decode(good, sizeof good, &v), 0);
    CHECK(v.memo_mask == 1 && v.memos[0].deadline_ms == 16 && v.memos[0].nreceivers == 1);
    unsigned char badstate[] = {3, 5, 0, 1, 0, 0, 0x01, 0, 1, 0, 7, 0, 1, 0};
    CHECK(!DECODES(badstate));
    unsigned char notfired[] = {HEAD, 0, 0x01, 16, 0, 0};
    CHECK(!DECODES(notfired));
    unsigned char absent[] = {HEAD, 1, 0x03, 16, 0, 0, 16, 0, 0};
    CHECK(!DECODES(absent));
    unsigned char memohigh[] = {HEAD, 1, 0x81, 16, 0, 0};
    CHECK(!DECODES(memohigh));
    unsigned char recov[] = {HEAD, 1, 0x01, 16, 0x80, 0x80, 0x80, 0x80, 0x10, 0};
    CHECK(!DECODES(recov));
    unsigned char emptyname[] = {HEAD, 1, 0x01, 16, 0, 1, 0};
    CHECK(!DECODES(emptyname));
    unsigned char badchar[] = {HEAD, 1, 0x01, 16, 0, 1, 2, 'a', 0x1f};
    CHECK(!DECODES(badchar));
    unsigned char twice[] = {HEAD, 1, 0x01, 16, 0, 2, 1, 'a', 1, 'a'};
    CHECK(!DECODES(twice));
    unsigned char overlong[] = {HEAD, 1, 0x01, 16, 0, 1, 5, 'a', 'b'};
    CHECK(!DECODES(overlong));
    /* At most SLA_MEMO_MAX_RECEIVERS names, each at most 64 bytes. */
    unsigned char many[17 + 2 * 17] = {HEAD, 1, 0x01, 16, 0, 17};
    size_t at = 17;
    for (int i = 0; i < 17; i++) {
        many[at++] = 1;
        many[at++] = (unsigned char)('a' + i);
    }
    CHECK(!decodes(many, at));
    many[16] = 16;
    CHECK(decodes(many, at - 2));
    unsigned char longname[18 + 65] = {HEAD, 1, 0x01, 16, 0, 1, 65};
    memset(longname + 18, 'x', 65);
    CHECK(!DECODES(longname));
    longname[17] = 64;
    CHECK(decodes(longname, sizeof longname - 1));
#undef HEAD

    /* Version 4: the memo has who acknowledged and when, and only a clock
     * flagged acked may have them (flags 0x02 below). */
#define HEAD4(flags) 4, 5, 0, 1, 0, 0, 0x01, 0, 1, 0, 1, flags, 1
    unsigned char acked4[] = {HEAD4(0x02), 0x01, 16, 0, 0x07, 2, 'o', 'p', 1, 1, 'a'};
    CHECK_INT(sla_record_decode(acked4, sizeof acked4, &v), 0);
    CHECK(v.version == 4 && v.clocks[0].acked && v.memos[0].acked_ms == 7 &&
          v.memos[0].by_len == 2 && memcmp(v.memos[0].by, "op", 2) == 0 &&
          v.memos[0].nreceivers == 1);
    unsigned char noby4[] = {HEAD4(0x02), 0x01, 16, 0, 0x07, 0, 0};
    CHECK(DECODES(noby4));
    unsigned char plain4[] = {HEAD4(0x00), 0x01, 16, 0, 0, 0, 0};
    CHECK(DECODES(plain4));
    unsigned char whennotacked[] = {HEAD4(0x00), 0x01, 16, 0, 0x07, 0, 0};
    CHECK(!DECODES(whennotacked));
    unsigned char bynotacked[] = {HEAD4(0x00), 0x01, 16, 0, 0, 1, 'o', 0};
    CHECK(!DECODES(bynotacked));
    unsigned char when49[] = {HEAD4(0x02), 0x01, 16, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                              0x80, 0x01, 0, 0};
    CHECK(!DECODES(when49));
    unsigned char byctl[] = {HEAD4(0x02), 0x01, 16, 0, 0x07, 2, 'o', 0x1b, 0};
    CHECK(!DECODES(byctl));
    unsigned char byutf8[] = {HEAD4(0x02), 0x01, 16, 0, 0x07, 2, 'o', 0xff, 0};
    CHECK(!DECODES(byutf8));
    unsigned char bycut[] = {HEAD4(0x02), 0x01, 16, 0, 0x07, 5, 'o', 'p', 0};
    CHECK(!DECODES(bycut));
    unsigned char bylong[13 + 5 + 129 + 1] = {HEAD4(0x02), 0x01, 16, 0, 0x07, 129};
    memset(bylong + 18, 'x', 129); /* then n = 0 */
    CHECK(!DECODES(bylong));
    bylong[17] = 128;
    bylong[18 + 128] = 0;
    CHECK(decodes(bylong, sizeof bylong - 1));
#undef HEAD4
}

/*
 * Version-1 records as the previous encoder wrote them for ticket "V-1"
 * (chat, subject "late") of v1_policies: opened at T0, and after its
 * first_response breach at T0 + 30 s. The ids below are what that engine
 * decided from them (breach, escalation to manager at T0 + 90 s, a reply
 * at T0 + 3 min: recovered to both).
 */
static const char v1_policies[] =
    "policies = ( { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "  first_response = { target = \"30s\"; recovered = true;\n"
    "    escalate = ( { after = \"0s\"; notify = [ \"team_lead\" ]; },\n"
    "                 { after = \"1m\"; notify = [ \"manager\" ]; } ); };\n"
    "  resolution = { target = \"1h\"; escalate = ( { notify = [ \"team_lead\" ]; } ); }; } );\n";
static const unsigned char v1_opened[] = {
    0x01, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0x01, 0x0c, 0x01, 0x63, 0x68, 0x61, 0x74, 0x00,
    0x08, 0x6c, 0x61, 0x74, 0x65, 0x00, 0x11, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0x01, 0x00,
    0x01, 0x00, 0x00, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0x01, 0x00, 0x01, 0x00, 0x00};
static const unsigned char v1_breached[] = {
    0x01, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0x01, 0x0c, 0x01, 0x63, 0x68, 0x61, 0x74, 0x00,
    0x08, 0x6c, 0x61, 0x74, 0x65, 0x00, 0x11, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0x01, 0x00,
    0x01, 0x00, 0x01, 0x80, 0xb0, 0xd0, 0xdb, 0xb8, 0x33, 0x01, 0x00, 0x01, 0x00, 0x00};
#define V1_BREACH "esc_d733e3f14cb4eec3da0c171e07eb1fc6"
#define V1_ESCALATION "esc_e903b9c6396a9cce5c97967e81deb5ee"
#define V1_RECOVERED_LEAD "esc_43544325632e112a45594b169b788ea4"
#define V1_RECOVERED_MANAGER "esc_09d2df7ee1f9e688ae9248cf5ae99ff4"

/* Restore rec as V-1 into a fresh engine at `at`, run it to the reply. */
static void run_restored(fixture *fx, const unsigned char *rec, size_t len, int64_t at)
{
    fx_take(fx);
    sla_engine_free(fx->eng);
    fx->eng = sla_engine_new(fx->cfg, at);
    fx->seq = 100;
    CHECK_INT(sla_engine_restore(fx->eng, "V-1", 3, rec, len, at), 0);
    fx_run_until(fx, T0 + 2 * MIN);
    fx_event(fx, T0 + 3 * MIN, "ticket", "V-1", "type", "agent.reply", NULL);
}

static int has_id(const fixture *fx, const char *id)
{
    for (size_t i = 0; i < fx->out.ndecisions; i++)
        if (strcmp(fx->out.decisions[i].id, id) == 0)
            return 1;
    return 0;
}

/* The latest collected record of V-1, copied into buf; its length. */
static size_t last_record(const fixture *fx, unsigned char *buf, size_t cap)
{
    for (size_t i = fx->out.nupserts; i-- > 0;)
        if (fx->out.upserts[i].record_len <= cap) {
            memcpy(buf, fx->out.upserts[i].record, fx->out.upserts[i].record_len);
            return fx->out.upserts[i].record_len;
        }
    return 0;
}

static void test_version1(void)
{
    sla_record_view v;
    CHECK_INT(sla_record_decode(v1_breached, sizeof v1_breached, &v), 0);
    CHECK(v.version == 1 && v.generation == 0 && v.memo_mask == 0 &&
          v.clocks[SLA_METRIC_FIRST_RESPONSE].fired == 1);

    fixture fx;
    CHECK(fx_init(&fx, v1_policies, T0) == 0);
    /* From the opened state: every id as before. */
    run_restored(&fx, v1_opened, sizeof v1_opened, T0);
    CHECK_INT(fx.out.ndecisions, 4);
    CHECK(has_id(&fx, V1_BREACH) && has_id(&fx, V1_ESCALATION) && has_id(&fx, V1_RECOVERED_LEAD) &&
          has_id(&fx, V1_RECOVERED_MANAGER));
    /* From the breached state: its memo is rebuilt from the ladder, so the
     * recovered notices still reach the team lead told of the breach. */
    run_restored(&fx, v1_breached, sizeof v1_breached, T0 + 31 * SEC);
    CHECK_INT(fx.out.ndecisions, 3);
    CHECK(has_id(&fx, V1_ESCALATION) && has_id(&fx, V1_RECOVERED_LEAD) &&
          has_id(&fx, V1_RECOVERED_MANAGER));
    const sla_decision *d = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && d->deadline_ms == T0 + 30 * SEC);

    /* Written again, the ticket is a current (version-5) record with generation 0
     * and the rebuilt memo, and keeps its ids. */
    fx_take(&fx);
    sla_engine_free(fx.eng);
    fx.eng = sla_engine_new(fx.cfg, T0 + 31 * SEC);
    CHECK_INT(sla_engine_restore(fx.eng, "V-1", 3, v1_breached, sizeof v1_breached, T0 + 31 * SEC),
              0);
    fx_event(&fx, T0 + 40 * SEC, "ticket", "V-1", "type", "agent.update", NULL);
    unsigned char v3[512];
    size_t n = last_record(&fx, v3, sizeof v3);
    CHECK_INT(sla_record_decode(v3, n, &v), 0);
    CHECK(v.version == 5 && v.generation == 0 && v.memo_mask == 1u << SLA_METRIC_FIRST_RESPONSE);
    CHECK(v.memos[0].deadline_ms == T0 + 30 * SEC && v.memos[0].nreceivers == 1 &&
          v.memos[0].name_len[0] == 9 && memcmp(v.memos[0].names[0], "team_lead", 9) == 0);
    run_restored(&fx, v3, n, T0 + 40 * SEC);
    CHECK_INT(fx.out.ndecisions, 3);
    CHECK(has_id(&fx, V1_ESCALATION) && has_id(&fx, V1_RECOVERED_LEAD) &&
          has_id(&fx, V1_RECOVERED_MANAGER));
    fx_release(&fx);
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (unsigned char)(v | 0x80);
    *p++ = (unsigned char)v;
    return p;
}

/*
 * A version-3 record (before who acknowledged was kept) of ticket V-1 of
 * v1_policies, written after its first_response breach at T0 + 30 s told
 * the team lead and an escalation.ack at T0 + 40 s: generation T0, the
 * clock acked, its memo with the breach's deadline and "team_lead". It
 * loads with the clock acknowledged, who and when not known; the ladder
 * stays stopped, the reply still sends `recovered` to the team lead, and
 * the ticket is written again (version 5) without a name or a time.
 */
static void test_version3_acked(void)
{
    static const unsigned char attrs[] = {0x01, 'c', 'h', 'a', 't', 0x00,
                                          0x08, 'l', 'a', 't', 'e', 0x00};
    unsigned char rec[128], *p = rec;
    *p++ = 3;
    p = put_varint(p, T0 + 40 * SEC); /* last entry id */
    p = put_varint(p, 1);
    p = put_varint(p, T0);            /* generation */
    p = put_varint(p, sizeof attrs);
    memcpy(p, attrs, sizeof attrs);
    p += sizeof attrs;
    *p++ = 0;                         /* ticket flags */
    *p++ = 1u << SLA_METRIC_FIRST_RESPONSE | 1u << SLA_METRIC_RESOLUTION;
    p = put_varint(p, T0);            /* first_response: running, acked, fired 1 */
    p = put_varint(p, 1);
    p = put_varint(p, 0);
    *p++ = SLA_CLOCK_RUNNING;
    *p++ = 0x02;
    *p++ = 1;
    p = put_varint(p, T0);            /* resolution: running */
    p = put_varint(p, 1);
    p = put_varint(p, 0);
    *p++ = SLA_CLOCK_RUNNING;
    *p++ = 0;
    *p++ = 0;
    *p++ = 1u << SLA_METRIC_FIRST_RESPONSE; /* its memo */
    p = put_varint(p, T0 + 30 * SEC);
    p = put_varint(p, 0);
    *p++ = 1;
    *p++ = 9;
    memcpy(p, "team_lead", 9);
    p += 9;
    size_t len = (size_t)(p - rec);

    sla_record_view v;
    CHECK_INT(sla_record_decode(rec, len, &v), 0);
    CHECK(v.version == 3 && v.clocks[SLA_METRIC_FIRST_RESPONSE].acked &&
          v.memo_mask == 1u << SLA_METRIC_FIRST_RESPONSE && v.memos[0].acked_ms == 0 &&
          v.memos[0].by_len == 0 && v.memos[0].nreceivers == 1);

    fixture fx;
    CHECK(fx_init(&fx, v1_policies, T0) == 0);
    sla_engine_free(fx.eng);
    fx.eng = sla_engine_new(fx.cfg, T0 + 41 * SEC);
    fx.seq = 100;
    CHECK_INT(sla_engine_restore(fx.eng, "V-1", 3, rec, len, T0 + 41 * SEC), 0);
    sla_clock_info ci[SLA_METRIC_COUNT];
    const char *a;
    size_t alen;
    CHECK_INT(sla_engine_ticket_info(fx.eng, "V-1", 3, T0 + 41 * SEC, ci, &a, &alen), 2);
    CHECK(ci[0].metric == SLA_METRIC_FIRST_RESPONSE && ci[0].acked && ci[0].acked_ms == 0 &&
          strcmp(ci[0].acked_by, "") == 0 && ci[0].nnotified == 1 &&
          strcmp(ci[0].notified[0], "team_lead") == 0);
    fx_run_until(&fx, T0 + 2 * MIN);
    CHECK_INT(fx_count(&fx, SLA_DECISION_ESCALATION, SLA_METRIC_FIRST_RESPONSE, NULL), 0);
    fx_event(&fx, T0 + 3 * MIN, "ticket", "V-1", "type", "agent.reply", NULL);
    CHECK_INT(fx_count(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, NULL), 1);
    const sla_decision *d = fx_find(&fx, SLA_DECISION_RECOVERED, SLA_METRIC_FIRST_RESPONSE, 0);
    CHECK(d && strcmp(d->receiver, "team_lead") == 0 && d->deadline_ms == T0 + 30 * SEC);

    unsigned char v4[512];
    size_t n = last_record(&fx, v4, sizeof v4);
    CHECK_INT(sla_record_decode(v4, n, &v), 0);
    CHECK(v.version == 5 && v.generation == (uint64_t)T0 &&
          v.clocks[SLA_METRIC_FIRST_RESPONSE].acked &&
          v.memo_mask == 1u << SLA_METRIC_FIRST_RESPONSE && v.memos[0].acked_ms == 0 &&
          v.memos[0].by_len == 0);
    fx_release(&fx);
}

/*
 * Version 5 writes what follows from the rest as little as it can: a clock
 * started with its subject is one mask bit, a reminder's date the position
 * of the attribute that holds it, a number in an attribute its varint.
 * Nothing is lost (every field and every attribute byte decodes back), and
 * damage that would change a value is refused.
 */
static sla_ticket *customer_sample(const sla_field *f, size_t nf)
{
    char *plain = NULL;
    size_t plen = 0;
    sla_attrs_merge(&plain, &plen, f, nf);
    size_t alen = sla_attrpack_size(plain, plen);
    sla_ticket *t = calloc(1, sla_ticket_size(5, 6, alen));
    t->nclocks = 5;
    t->id_len = 6;
    t->customer = 1;
    t->attrs_len = (uint16_t)alen;
    memcpy(sla_ticket_id(t), "\x01" "c:c-1", 7);
    sla_attrpack_pack(plain, plen, sla_ticket_attrs(t));
    free(plain);
    memset(t->slot, SLA_SLOT_NONE, sizeof t->slot);
    t->last_ms = 1767571200000ULL + 5;
    t->generation = 1767571200000ULL + 7;
    for (int k = 0; k < 5; k++) {
        t->slot[k] = (uint8_t)k;
        t->clocks[k].state = SLA_CLOCK_RUNNING;
        t->clocks[k].cycle = 1;
        t->clocks[k].resume_ms = t->generation;
    }
    t->clocks[4].source = SLA_TARGET_AHEAD;
    return t;
}

/* t's record decodes to t's clocks and attributes. */
static int decodes_back(const sla_ticket *t, const unsigned char *buf, size_t n)
{
    const sla_record_view *v = &v5view;
    if (sla_record_decode(buf, n, &v5view) < 0 || v->generation != t->generation ||
        v->last_ms != t->last_ms || v->attrs_len != t->attrs_len ||
        memcmp(v->attrs, sla_ticket_attrs(t), v->attrs_len) != 0)
        return 0;
    for (int k = 0; k < 5; k++)
        if (memcmp(&v->clocks[k], &t->clocks[k], sizeof(sla_clock)) != 0)
            return 0;
    return 1;
}

static void test_version5_compact(void)
{
    sla_field f[] = {{"tier", 4, "vip", 3},
                     {"contract_end", 12, "2027-01-05T00:00:00.123Z", 24},
                     {"renewal", 7, "1799107200123", 13},
                     {"odd", 3, "\xfe\xff", 2},
                     {"zero", 4, "0123", 4}};
    sla_ticket *t = customer_sample(f, 5);
    t->clocks[4].resume_ms = 1799107200123ULL; /* 2027-01-05T00:00:00.123Z */
    unsigned char buf[256];
    size_t n = sla_record_encode(t, buf);
    CHECK(decodes_back(t, buf, n));
    /* version, last_ms (6 bytes), seq, generation (its distance from
     * last_ms), attrs_len, the attributes with the 13 digits of renewal
     * as 0xff and 6 bytes and odd's value behind 0xfe, flags, masks 2,
     * the reminder 2 (head, attribute 1), memo mask: 20 bytes of clocks
     * and 6 of attributes fewer than version 4 */
    CHECK_INT(n, 1 + 6 + 1 + 1 + 1 + (t->attrs_len - 6 + 1) + 1 + 2 + 2 + 1);
    CHECK(memmem(buf, n, "\xff", 1) != NULL && memmem(buf, n, "1799", 4) == NULL);

    /* the date written out when no attribute holds it */
    t->clocks[4].resume_ms++;
    size_t n2 = sla_record_encode(t, buf);
    CHECK(n2 >= n + 4);
    CHECK(decodes_back(t, buf, n2));
    /* the same date in renewal as a number: attribute 2 */
    t->clocks[4].resume_ms = 1799107200123ULL;
    n = sla_record_encode(t, buf);
    CHECK(decodes_back(t, buf, n));

    /* any entry id, however far from the generation (modulo 2^64) */
    static const uint64_t lasts[] = {0, 1ULL << 62, UINT64_MAX, (1ULL << 48) - 1};
    for (size_t i = 0; i < 4; i++) {
        unsigned char far[256];
        t->last_ms = lasts[i];
        size_t nf = sla_record_encode(t, far);
        CHECK(decodes_back(t, far, nf));
        t->generation = 0;
        nf = sla_record_encode(t, far);
        CHECK(decodes_back(t, far, nf));
        t->generation = 1767571200000ULL + 7;
    }
    t->last_ms = 1767571200000ULL + 5;

    /* the attribute referred to no longer a date: refused */
    unsigned char *digit = memmem(buf, n, "2027", 4);
    CHECK(digit != NULL);
    if (digit) {
        digit[0] = 'x';
        CHECK_INT(sla_record_decode(buf, n, &v5view), -1);
        digit[0] = '2';
    }
    /* a number written with a byte of 0, or left unterminated: refused */
    unsigned char *num = memchr(buf, 0xff, n);
    CHECK(num != NULL);
    if (num) {
        unsigned char keep = num[6];
        num[6] = 0x80; /* the varint's last byte continues into the NUL */
        CHECK_INT(sla_record_decode(buf, n, &v5view), -1);
        num[6] = keep;
    }
    /* an escape that escapes nothing */
    unsigned char *esc = memmem(buf, n, "\xfe\xfe\xff", 3);
    CHECK(esc != NULL);
    if (esc) {
        esc[1] = 'a';
        CHECK_INT(sla_record_decode(buf, n, &v5view), -1);
        esc[1] = 0xfe;
    }
    CHECK_INT(sla_record_decode(buf, n, &v5view), 0);
    /* a fresh mask naming a clock the clock mask has not */
    unsigned char *mask = memmem(buf, n, "\x1f\x0f", 2);
    CHECK(mask != NULL);
    if (mask) {
        mask[1] = 0x3f;
        CHECK_INT(sla_record_decode(buf, n, &v5view), -1);
    }
    free(t);
}

int main(void)
{
    test_round_trip();
    test_refused();
    test_version1();
    test_version3_acked();
    test_version5_compact();
    return CHECK_DONE();
}
