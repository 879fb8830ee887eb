/*
 * test_record — the durable ticket record: round trips, and every way a
 * stored record can be corrupt is refused rather than trusted.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_attrs.h"
#include "sla_record.h"

static sla_ticket *sample(void)
{
    sla_ticket *t = calloc(1, sizeof *t + 8);
    t->id_len = 3;
    memcpy(t->id, "T-1", 4);
    t->last_ms = 1767571200123ULL;
    t->last_seq = 7;
    sla_field f[] = {{"channel", 7, "chat", 4}, {"subject", 7, "\xe9\x80\x80\xe6\xac\xbe", 6}};
    char *buf = NULL;
    size_t len = 0;
    sla_attrs_merge(&buf, &len, f, 2);
    t->attrs = buf;
    t->attrs_len = (uint32_t)len;
    sla_clock *c = &t->clocks[SLA_METRIC_FIRST_RESPONSE];
    c->state = SLA_CLOCK_RUNNING;
    c->resume_ms = 1767571200000ULL;
    c->cycle = 3;
    c->fired = 2;
    c->warned = 1;
    c = &t->clocks[SLA_METRIC_RESOLUTION];
    c->state = SLA_CLOCK_PAUSED;
    c->elapsed_ms = (1ULL << 40) - 1;
    c->acked = 1;
    c = &t->clocks[SLA_METRIC_CALLBACK];
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
    printf("sample record: %zu bytes (%u of attributes)\n", n, t->attrs_len);

    struct {
        sla_ticket t;
        char id[8];
    } back;
    memset(&back, 0, sizeof back);
    const char *attrs;
    size_t alen;
    CHECK_INT(sla_record_decode(buf, n, &back.t, &attrs, &alen), 0);
    CHECK_INT(back.t.last_ms, t->last_ms);
    CHECK_INT(back.t.last_seq, t->last_seq);
    CHECK_INT(alen, t->attrs_len);
    CHECK(memcmp(attrs, t->attrs, alen) == 0);
    CHECK(memcmp(back.t.clocks, t->clocks, sizeof t->clocks) == 0);
    CHECK_INT(back.t.clocks[SLA_METRIC_PICKUP].state, SLA_CLOCK_IDLE);

    /* Every truncation is refused. */
    int accepted = 0;
    for (size_t cut = 0; cut < n; cut++)
        accepted += sla_record_decode(buf, cut, &back.t, &attrs, &alen) == 0;
    CHECK_INT(accepted, 0);
    /* Trailing bytes, unknown version, bad state, bad attribute framing. */
    unsigned char bad[600];
    memcpy(bad, buf, n);
    bad[n] = 0;
    CHECK_INT(sla_record_decode(bad, n + 1, &back.t, &attrs, &alen), -1);
    bad[0] = 2;
    CHECK_INT(sla_record_decode(bad, n, &back.t, &attrs, &alen), -1);
    memcpy(bad, buf, n);
    bad[n - 3] = 7; /* state of the last clock */
    CHECK_INT(sla_record_decode(bad, n, &back.t, &attrs, &alen), -1);
    /* An attribute buffer that is not whole pairs. */
    unsigned char odd[] = {1, 0, 0, 2, 'a', 0, 0};
    CHECK_INT(sla_record_decode(odd, sizeof odd, &back.t, &attrs, &alen), -1);
    unsigned char unterminated[] = {1, 0, 0, 2, 'a', 'b', 0};
    CHECK_INT(sla_record_decode(unterminated, sizeof unterminated, &back.t, &attrs, &alen), -1);
    /* A clock mask naming a metric that does not exist. */
    unsigned char mask[] = {1, 0, 0, 0, 0x80};
    CHECK_INT(sla_record_decode(mask, sizeof mask, &back.t, &attrs, &alen), -1);
    /* A varint that never ends. */
    unsigned char endless[12] = {1};
    memset(endless + 1, 0xff, 11);
    CHECK_INT(sla_record_decode(endless, sizeof endless, &back.t, &attrs, &alen), -1);
    /* The minimal record: no attributes, no clocks. */
    unsigned char minimal[] = {1, 5, 0, 0, 0};
    CHECK_INT(sla_record_decode(minimal, sizeof minimal, &back.t, &attrs, &alen), 0);
    CHECK_INT(back.t.last_ms, 5);
    CHECK_INT(alen, 0);

    free(t->attrs);
    free(t);
    return CHECK_DONE();
}
