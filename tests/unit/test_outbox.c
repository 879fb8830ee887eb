/*
 * test_outbox — a decision written as an outbox record reads back as the
 * same decision; records that are not decisions are refused with the
 * field named; dead-letter outcome fields are not attributes.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "sla_engine.h"
#include "sla_outbox.h"

static sla_decision sample(void)
{
    static char attrs[] = "channel\0chat\0amount\0" "1200\0";
    sla_decision d;
    memset(&d, 0, sizeof d);
    d.kind = SLA_DECISION_ESCALATION;
    strcpy(d.id, "esc_0123456789abcdef0123456789abcdef");
    d.ticket = "T-1";
    d.metric = SLA_METRIC_RESOLUTION;
    d.cycle = 3;
    d.level = 2;
    d.policy = "chat";
    d.receiver = "manager";
    d.deadline_ms = 1767225600000;
    d.fired_ms = 1767225615000;
    d.late_ms = 7;
    d.attrs = attrs;
    d.attrs_len = sizeof attrs - 1;
    return d;
}

static size_t fields_of(const sla_decision *d, sla_field *f, char *scratch)
{
    return sla_decision_fields(d, f, SLA_DECISION_MAX_FIELDS, scratch, SLA_DECISION_SCRATCH);
}

static void test_round_trip(void)
{
    sla_decision in = sample(), out;
    sla_field f[SLA_DECISION_MAX_FIELDS], g[SLA_DECISION_MAX_FIELDS];
    char s1[SLA_DECISION_SCRATCH], s2[SLA_DECISION_SCRATCH], err[128];
    size_t n = fields_of(&in, f, s1);
    CHECK_INT(sla_outbox_parse(f, n, &out, err, sizeof err), 0);
    CHECK_STR(out.id, in.id);
    CHECK_INT(out.kind, in.kind);
    CHECK_STR(out.ticket, in.ticket);
    CHECK_INT(out.metric, in.metric);
    CHECK_INT(out.cycle, in.cycle);
    CHECK_INT(out.level, in.level);
    CHECK_STR(out.policy, in.policy);
    CHECK_STR(out.receiver, in.receiver);
    CHECK_INT(out.deadline_ms, in.deadline_ms);
    CHECK_INT(out.fired_ms, in.fired_ms);
    CHECK_INT(out.late_ms, in.late_ms);
    CHECK_INT(out.attrs_len, in.attrs_len);
    CHECK(out.attrs && memcmp(out.attrs, in.attrs, in.attrs_len) == 0);
    /* Written again, it is the same record, field for field. */
    size_t m = fields_of(&out, g, s2);
    CHECK_INT(m, n);
    int same = m == n;
    for (size_t i = 0; same && i < n; i++)
        same = f[i].key_len == g[i].key_len && f[i].val_len == g[i].val_len &&
               memcmp(f[i].key, g[i].key, f[i].key_len) == 0 &&
               memcmp(f[i].val, g[i].val, f[i].val_len) == 0;
    CHECK(same);
    sla_outbox_release(&out);
    CHECK(out.ticket == NULL && out.attrs == NULL);
}

static void test_empty_receiver_and_no_attrs(void)
{
    sla_decision in = sample(), out;
    in.receiver = "";
    in.attrs = "";
    in.attrs_len = 0;
    in.kind = SLA_DECISION_RECOVERED;
    sla_field f[SLA_DECISION_MAX_FIELDS];
    char s[SLA_DECISION_SCRATCH];
    size_t n = fields_of(&in, f, s);
    CHECK_INT(sla_outbox_parse(f, n, &out, NULL, 0), 0);
    CHECK_STR(out.receiver, "");
    CHECK_INT(out.kind, SLA_DECISION_RECOVERED);
    CHECK_INT(out.attrs_len, 0);
    sla_outbox_release(&out);
}

static void test_outcome_fields_skipped(void)
{
    sla_decision in = sample(), out;
    sla_field f[SLA_DECISION_MAX_FIELDS + 2];
    char s[SLA_DECISION_SCRATCH];
    size_t n = fields_of(&in, f, s);
    f[n++] = (sla_field){"delivery.status", 15, "500", 3};
    f[n++] = (sla_field){"delivery.error", 14, "boom", 4};
    CHECK_INT(sla_outbox_parse(f, n, &out, NULL, 0), 0);
    CHECK_INT(out.attrs_len, in.attrs_len);
    sla_outbox_release(&out);
}

/* Replace field `name` by value (or drop it when value is NULL), parse, expect err. */
static void expect_refused(const char *name, const char *value, const char *want)
{
    sla_decision in = sample(), out;
    sla_field f[SLA_DECISION_MAX_FIELDS + 1];
    char s[SLA_DECISION_SCRATCH], err[128] = "";
    size_t n = fields_of(&in, f, s), w = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].key, name) == 0) {
            if (value == NULL)
                continue;
            f[i].val = value;
            f[i].val_len = strlen(value);
        }
        f[w++] = f[i];
    }
    CHECK_INT(sla_outbox_parse(f, w, &out, err, sizeof err), -EINVAL);
    CHECK_STR(err, want);
    CHECK(out.ticket == NULL && out.policy == NULL && out.attrs == NULL);
}

static void test_refused(void)
{
    expect_refused("id", NULL, "no id");
    expect_refused("receiver", NULL, "no receiver");
    expect_refused("kind", "alarm", "bad kind");
    expect_refused("metric", "speed", "bad metric");
    expect_refused("level", "-1", "bad level");
    expect_refused("level", "2x", "bad level");
    expect_refused("fired_ms", "", "bad fired_ms");
    expect_refused("ticket", "", "bad ticket");
    expect_refused("cycle", "4294967296", "bad cycle");
    expect_refused("id", "esc_0123456789abcdef0123456789abcdef0123456789abcdef", "bad id");

    /* A record field twice. */
    sla_decision in = sample(), out;
    sla_field f[SLA_DECISION_MAX_FIELDS + 1];
    char s[SLA_DECISION_SCRATCH], err[128] = "";
    size_t n = fields_of(&in, f, s);
    f[n++] = (sla_field){"level", 5, "3", 1};
    CHECK_INT(sla_outbox_parse(f, n, &out, err, sizeof err), -EINVAL);
    CHECK_STR(err, "field level appears twice");
}

/* A customer's record has `customer` for `ticket`; a ticket's `customer`
 * stays an attribute. */
static void test_subjects(void)
{
    static char cattrs[] = "customer\0c-17\0";
    sla_decision in = sample(), out;
    sla_field f[SLA_DECISION_MAX_FIELDS];
    char s1[SLA_DECISION_SCRATCH], err[128];
    in.attrs = cattrs;
    in.attrs_len = sizeof cattrs - 1;
    size_t n = fields_of(&in, f, s1);
    CHECK_INT(sla_outbox_parse(f, n, &out, err, sizeof err), 0);
    CHECK_INT(out.subject, SLA_SUBJECT_TICKET);
    CHECK_STR(out.ticket, "T-1");
    CHECK(out.attrs_len == in.attrs_len && memcmp(out.attrs, cattrs, in.attrs_len) == 0);
    sla_outbox_release(&out);

    in = sample();
    in.subject = SLA_SUBJECT_CUSTOMER;
    in.ticket = "c-17";
    in.metric = SLA_METRIC_REVISIT;
    n = fields_of(&in, f, s1);
    CHECK(n > 2 && f[2].key_len == 8 && memcmp(f[2].key, "customer", 8) == 0);
    CHECK_INT(sla_outbox_parse(f, n, &out, err, sizeof err), 0);
    CHECK_INT(out.subject, SLA_SUBJECT_CUSTOMER);
    CHECK_STR(out.ticket, "c-17");
    CHECK_INT(out.metric, SLA_METRIC_REVISIT);
    CHECK_INT(out.attrs_len, in.attrs_len); /* the id is not an attribute */
    sla_outbox_release(&out);
}

int main(void)
{
    test_round_trip();
    test_subjects();
    test_empty_receiver_and_no_attrs();
    test_outcome_fields_skipped();
    test_refused();
    return CHECK_DONE();
}
