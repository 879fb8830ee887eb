/*
 * test_record — the durable ticket record: round trips, and every way a
 * stored record can be corrupt is refused rather than trusted.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_attrpack.h"
#include "sla_attrs.h"
#include "sla_record.h"

/* A ticket with three clocks (first_response, resolution, callback). */
static sla_ticket *sample(void)
{
    sla_field f[] = {{"channel", 7, "chat", 4}, {"subject", 7, "\xe9\x80\x80\xe6\xac\xbe", 6},
                     {"amount", 6, "1200", 4}};
    char *plain = NULL;
    size_t plen = 0;
    sla_attrs_merge(&plain, &plen, f, 3);
    size_t alen = sla_attrpack_size(plain, plen);
    sla_ticket *t = calloc(1, sla_ticket_size(3, 3, alen));
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
    sla_clock *c = &t->clocks[0];
    c->state = SLA_CLOCK_RUNNING;
    c->resume_ms = 1767571200000ULL;
    c->cycle = 3;
    c->fired = 2;
    c->warned = 1;
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
    return t;
}

int main(void)
{
    sla_ticket *t = sample();
    unsigned char buf[512];
    CHECK(sla_record_max_size(t) <= sizeof buf);
    size_t n = sla_record_encode(t, buf);
    CHECK(n > 0 && n <= sla_record_max_size(t));
    printf("sample record: %zu bytes (%u of attributes)\n", n, (unsigned)t->attrs_len);

    sla_record_view back;
    memset(&back, 0, sizeof back);
    CHECK_INT(sla_record_decode(buf, n, &back), 0);
    CHECK_INT(back.last_ms, t->last_ms);
    CHECK_INT(back.last_seq, t->last_seq);
    CHECK_INT(back.resolved, 1);
    CHECK_INT(back.attrs_len, t->attrs_len);
    CHECK(memcmp(back.attrs, sla_ticket_attrs(t), back.attrs_len) == 0);
    CHECK_STR(sla_attrpack_get(back.attrs, back.attrs_len, "amount", 6), "1200");
    CHECK(memcmp(&back.clocks[SLA_METRIC_FIRST_RESPONSE], &t->clocks[0], sizeof(sla_clock)) == 0);
    CHECK(memcmp(&back.clocks[SLA_METRIC_RESOLUTION], &t->clocks[1], sizeof(sla_clock)) == 0);
    CHECK(memcmp(&back.clocks[SLA_METRIC_CALLBACK], &t->clocks[2], sizeof(sla_clock)) == 0);
    CHECK_INT(back.clocks[SLA_METRIC_PICKUP].state, SLA_CLOCK_IDLE);

    /* Every truncation is refused. */
    int accepted = 0;
    for (size_t cut = 0; cut < n; cut++)
        accepted += sla_record_decode(buf, cut, &back) == 0;
    CHECK_INT(accepted, 0);
    /* Trailing bytes, unknown version, bad state, bad attribute framing. */
    unsigned char bad[600];
    memcpy(bad, buf, n);
    bad[n] = 0;
    CHECK_INT(sla_record_decode(bad, n + 1, &back), -1);
    bad[0] = 3;
    CHECK_INT(sla_record_decode(bad, n, &back), -1);
    bad[0] = 0;
    CHECK_INT(sla_record_decode(bad, n, &back), -1);
    memcpy(bad, buf, n);
    bad[n - 3] = 7; /* state of the last clock */
    CHECK_INT(sla_record_decode(bad, n, &back), -1);
    /* Attributes that are not well-formed compact pairs. */
    unsigned char odd[] = {1, 0, 0, 3, 0, 'a', 0, 0};
    CHECK_INT(sla_record_decode(odd, sizeof odd, &back), -1);
    unsigned char unterminated[] = {1, 0, 0, 2, 'a', 'b', 0};
    CHECK_INT(sla_record_decode(unterminated, sizeof unterminated, &back), -1);
    /* A clock mask naming a metric that does not exist. */
    unsigned char mask[] = {2, 0, 0, 0, 0, 0x80};
    CHECK_INT(sla_record_decode(mask, sizeof mask, &back), -1);
    /* Ticket flags this version does not know. */
    unsigned char flags[] = {2, 0, 0, 0, 0x02, 0};
    CHECK_INT(sla_record_decode(flags, sizeof flags, &back), -1);
    flags[4] = 0x01;
    CHECK_INT(sla_record_decode(flags, sizeof flags, &back), 0);
    CHECK_INT(back.resolved, 1);
    /* A varint that never ends. */
    unsigned char endless[12] = {1};
    memset(endless + 1, 0xff, 11);
    CHECK_INT(sla_record_decode(endless, sizeof endless, &back), -1);
    /* The minimal record: no attributes, no clocks. */
    unsigned char minimal[] = {2, 5, 0, 0, 0, 0};
    CHECK_INT(sla_record_decode(minimal, sizeof minimal, &back), 0);
    CHECK_INT(back.last_ms, 5);
    CHECK_INT(back.attrs_len, 0);
    CHECK_INT(back.resolved, 0);

    /* Version 1 (no ticket flags) is still read: a met resolution clock
     * means the ticket was resolved, any other state that it was not. */
    unsigned char v1[] = {1, 5, 0, 0, 1u << SLA_METRIC_RESOLUTION, 0, 1, 0, SLA_CLOCK_MET, 0, 0};
    CHECK_INT(sla_record_decode(v1, sizeof v1, &back), 0);
    CHECK_INT(back.clocks[SLA_METRIC_RESOLUTION].cycle, 1);
    CHECK_INT(back.resolved, 1);
    v1[8] = SLA_CLOCK_RUNNING;
    CHECK_INT(sla_record_decode(v1, sizeof v1, &back), 0);
    CHECK_INT(back.resolved, 0);
    unsigned char v1_minimal[] = {1, 5, 0, 0, 0};
    CHECK_INT(sla_record_decode(v1_minimal, sizeof v1_minimal, &back), 0);
    CHECK_INT(back.resolved, 0);

    free(t);
    return CHECK_DONE();
}
