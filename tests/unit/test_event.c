/*
 * test_event — sla_event_parse: every type, every way an entry is refused,
 * times, attributes, borrowing and limits.
 *
 * Entries are written as NULL-terminated lists of C strings, name then
 * value. entry_build() copies each string into its own heap block of
 * exactly its length (no terminator), so under AddressSanitizer any read
 * past a field fails the test, as values from Redis are not terminated.
 */
#include "check.h"
#include "sla_event.h"
#include "sla_metric.h"

#include <stdlib.h>

#define ID_MS INT64_C(1764099848000) /* 2025-11-25T19:44:08Z */

typedef struct entry {
    sla_field fields[SLA_EVENT_MAX_FIELDS + 8];
    size_t n;
} entry;

static sla_event ev; /* 8 KiB of attrs: kept off the stack */
static char reason[256];

static char *copy_exact(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    if (len)
        memcpy(p, s, len);
    return p;
}

static void entry_add(entry *e, const char *key, size_t key_len, const char *val,
                      size_t val_len)
{
    e->fields[e->n++] = (sla_field){copy_exact(key, key_len), key_len,
                                    copy_exact(val, val_len), val_len};
}

/* kv: name, value, name, value, ..., NULL. */
static void entry_build(entry *e, const char *const *kv)
{
    e->n = 0;
    for (size_t i = 0; kv[i]; i += 2)
        entry_add(e, kv[i], strlen(kv[i]), kv[i + 1], strlen(kv[i + 1]));
}

static void entry_free(entry *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free((void *)e->fields[i].key);
        free((void *)e->fields[i].val);
    }
    e->n = 0;
}

/*
 * Parses kv into ev. The entry stays alive until the next call, as ev
 * borrows from it.
 */
static entry last;
static int parse_lim(const char *const *kv, const sla_event_limits *lim)
{
    entry_free(&last);
    entry_build(&last, kv);
    reason[0] = 'X';
    return sla_event_parse(&ev, last.fields, last.n, ID_MS, lim, reason, sizeof reason);
}

#define PARSE(...) parse_lim((const char *const[]){__VA_ARGS__, NULL}, NULL)

static int attr_is(size_t i, const char *key, const char *val)
{
    return i < ev.nattrs && ev.attrs[i].key_len == strlen(key) &&
           memcmp(ev.attrs[i].key, key, strlen(key)) == 0 &&
           ev.attrs[i].val_len == strlen(val) && memcmp(ev.attrs[i].val, val, strlen(val)) == 0;
}

static void test_names(void)
{
    CHECK_STR(sla_event_type_name(SLA_EV_TICKET_OPENED), "ticket.opened");
    CHECK_STR(sla_event_type_name(SLA_EV_TICKET_CLOSED), "ticket.closed");
    CHECK(sla_event_type_name(-1) == NULL);
    CHECK(sla_event_type_name(SLA_EV_TYPE_COUNT) == NULL);

    CHECK_STR(sla_event_error_name(0), "none");
    CHECK_STR(sla_event_error_name(SLA_EVERR_OVERSIZE), "oversize");
    CHECK_STR(sla_event_error_name(SLA_EVERR_TOO_MANY_FIELDS), "too_many_fields");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_FIELD), "bad_field");
    CHECK_STR(sla_event_error_name(SLA_EVERR_NO_TICKET), "no_ticket");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_TICKET), "bad_ticket");
    CHECK_STR(sla_event_error_name(SLA_EVERR_NO_TYPE), "no_type");
    CHECK_STR(sla_event_error_name(SLA_EVERR_UNKNOWN_TYPE), "unknown_type");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_TS), "bad_ts");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_DUE), "bad_due");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_SATISFACTION), "bad_satisfaction");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_METRIC), "bad_metric");
    CHECK(sla_event_error_name(-SLA_EVERR_COUNT_) == NULL);
    CHECK(sla_event_error_name(1) == NULL);

    sla_event_limits lim;
    sla_event_limits_default(&lim);
    CHECK_INT(lim.max_entry_bytes, 65536);
    CHECK_INT(lim.max_fields, 64);
    CHECK_INT(lim.max_value_bytes, 8192);

    static const char *const known[] = {"channel", "priority", "category", "tier", "group",
                                        "assignee", "customer", "subject", "url"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        CHECK(sla_event_is_known_attribute(known[i], strlen(known[i])));
    CHECK(!sla_event_is_known_attribute("region", 6));
    CHECK(!sla_event_is_known_attribute("Channel", 7));
    CHECK(!sla_event_is_known_attribute("channelx", 7 + 1));
    CHECK(sla_event_is_known_attribute("channelx", 7)); /* length-delimited */
    CHECK(!sla_event_is_known_attribute("", 0));
}

static void test_every_type(void)
{
    for (int t = 0; t < SLA_EV_CUSTOMER_FIRST; t++) {
        const char *name = sla_event_type_name(t);
        int rc = PARSE("ticket", "T-1", "type", name, "due", "1764100000000");
        CHECK_INT(rc, 0);
        CHECK_INT(ev.type, t);
        CHECK_INT(ev.ticket_len, 3);
        CHECK(memcmp(ev.ticket, "T-1", 3) == 0);
        /* `due` belongs to callback.scheduled; a label elsewhere */
        CHECK_INT(ev.nattrs, t == SLA_EV_CALLBACK_SCHEDULED ? 0 : 1);
        CHECK_INT(ev.due_ms, t == SLA_EV_CALLBACK_SCHEDULED ? 1764100000000 : 0);
        CHECK_INT(ev.satisfaction, 0);
        CHECK_INT(ev.metric, -1);
        CHECK(ev.by == NULL);
    }
    /* order of ticket/type does not matter; names are case-sensitive */
    CHECK_INT(PARSE("type", "agent.reply", "ticket", "T-1"), 0);
    CHECK_INT(ev.type, SLA_EV_AGENT_REPLY);
    CHECK_INT(PARSE("ticket", "T-1", "type", "Agent.Reply"), SLA_EVERR_UNKNOWN_TYPE);
    CHECK_INT(PARSE("ticket", "T-1", "Type", "agent.reply"), SLA_EVERR_NO_TYPE);
}

/* Customer events: the id in `customer`, their own fields, their reasons. */
static void test_customer_events(void)
{
    for (int t = SLA_EV_CUSTOMER_FIRST; t < SLA_EV_TYPE_COUNT; t++) {
        const char *name = sla_event_type_name(t);
        CHECK(strncmp(name, "customer.", 9) == 0);
        CHECK_INT(PARSE("customer", "c-17", "type", name, "tier", "vip"), 0);
        CHECK_INT(ev.type, t);
        CHECK_INT(ev.subject, SLA_SUBJECT_CUSTOMER);
        CHECK_INT(ev.ticket_len, 4);
        CHECK(memcmp(ev.ticket, "c-17", 4) == 0);
        CHECK_INT(ev.nattrs, 1); /* the id is no attribute; tier is */
        CHECK(memcmp(ev.attrs[0].key, "tier", 4) == 0);
        /* a ticket id has no meaning for a customer: refused, not ignored */
        CHECK_INT(PARSE("customer", "c-17", "type", name, "ticket", "T-1"), SLA_EVERR_BAD_FIELD);
        CHECK(strstr(reason, "'customer', not 'ticket'") != NULL);
        CHECK_INT(PARSE("type", name, "tier", "vip"), SLA_EVERR_NO_CUSTOMER);
        CHECK_STR(reason, "no 'customer' field");
    }
    CHECK_STR(sla_event_error_name(SLA_EVERR_NO_CUSTOMER), "no_customer");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_CUSTOMER), "bad_customer");
    CHECK_STR(sla_event_error_name(SLA_EVERR_BAD_DATE), "bad_date");

    /* customer.message stays a ticket's event, its `customer` an attribute */
    CHECK_INT(PARSE("ticket", "T-1", "type", "customer.message", "customer", "c-17"), 0);
    CHECK_INT(ev.subject, SLA_SUBJECT_TICKET);
    CHECK_INT(ev.nattrs, 1);
    CHECK_INT(PARSE("customer", "c-17", "type", "customer.message"), SLA_EVERR_NO_TICKET);

    /* the customer id follows the ticket id's rules */
    CHECK_INT(PARSE("customer", "", "type", "customer.signed"), SLA_EVERR_BAD_CUSTOMER);
    CHECK_STR(reason, "customer id is empty");
    CHECK_INT(PARSE("customer", "c 17\t", "type", "customer.signed"), SLA_EVERR_BAD_CUSTOMER);
    char longid[130];
    memset(longid, 'c', 129);
    longid[129] = '\0';
    CHECK_INT(PARSE("customer", longid, "type", "customer.signed"), SLA_EVERR_BAD_CUSTOMER);

    /* dates: times like ts, kept as attributes; any date in the past */
    CHECK_INT(PARSE("customer", "c-17", "type", "customer.updated", "contract_end",
                    "2026-06-30T00:00:00+08:00", "renewal", "1000"),
              0);
    CHECK_INT(ev.nattrs, 2);
    CHECK_INT(PARSE("customer", "c-17", "type", "customer.signed", "upgrade", "next week"),
              SLA_EVERR_BAD_DATE);
    CHECK(strstr(reason, "upgrade 'next week'") != NULL);
    /* on a ticket's event a date field is a label, unchecked */
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.updated", "renewal", "soon"), 0);

    /* satisfaction of a revisit: checked, and kept for policies to match */
    CHECK_INT(PARSE("customer", "c-17", "type", "customer.revisited", "satisfaction", "2"), 0);
    CHECK_INT(ev.satisfaction, 2);
    CHECK_INT(ev.nattrs, 1);
    CHECK_INT(PARSE("customer", "c-17", "type", "customer.revisited", "satisfaction", "9"),
              SLA_EVERR_BAD_SATISFACTION);

    /* escalation.ack: a ticket's, or with `customer` and no `ticket` a customer's */
    CHECK_INT(PARSE("customer", "c-17", "type", "escalation.ack", "metric", "revisit"), 0);
    CHECK_INT(ev.subject, SLA_SUBJECT_CUSTOMER);
    CHECK_INT(ev.metric, SLA_METRIC_REVISIT);
    CHECK_INT(ev.nattrs, 0);
    CHECK_INT(PARSE("ticket", "T-1", "customer", "c-17", "type", "escalation.ack"), 0);
    CHECK_INT(ev.subject, SLA_SUBJECT_TICKET);
    CHECK_INT(ev.nattrs, 1);
}

static void test_ts(void)
{
    CHECK_INT(PARSE("ticket", "T-1", "type", "agent.reply"), 0);
    CHECK_INT(ev.ts_ms, ID_MS);
    CHECK_INT(ev.ts_given, 0);

    CHECK_INT(PARSE("ticket", "T-1", "type", "agent.reply", "ts", "1764099848123"), 0);
    CHECK_INT(ev.ts_ms, 1764099848123);
    CHECK_INT(ev.ts_given, 1);

    CHECK_INT(PARSE("ts", "2026-11-25T19:44:08Z", "ticket", "T-1", "type", "agent.reply"), 0);
    CHECK_INT(ev.ts_ms, 1795635848000);
    CHECK_INT(PARSE("ticket", "T-1", "type", "agent.reply", "ts",
                    "2026-11-25T19:44:08.123+08:00"),
              0);
    CHECK_INT(ev.ts_ms, 1795635848123 - 8 * 3600 * 1000);
    CHECK_INT(ev.nattrs, 0); /* ts is never a label */

    static const char *const bad[] = {"", "yesterday", "-5", "12.5", " 1764099848000",
                                      "1234567890123456", /* 16 digits */
                                      "2026-02-30T00:00:00Z", "2026-11-25T19:44:08",
                                      "10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = PARSE("ticket", "T-1", "type", "agent.reply", "ts", bad[i]);
        CHECK_INT(rc, SLA_EVERR_BAD_TS);
        if (rc != SLA_EVERR_BAD_TS)
            fprintf(stderr, "  ts '%s' accepted\n", bad[i]);
    }
    CHECK_INT(PARSE("ticket", "T-1", "type", "agent.reply", "ts", "yesterday"),
              SLA_EVERR_BAD_TS);
    CHECK_STR(reason, "ts 'yesterday' is neither integer milliseconds nor RFC 3339");
    CHECK_INT(PARSE("ticket", "T-1", "type", "agent.reply", "ts", "9999-12-31T23:59:59Z"), 0);
}

/*
 * ts and due older than limits.max_past_age_ms before the entry id's time
 * are refused: the epoch would breach at once, decades late. The bound is
 * measured from the id, so a replay decides the same whenever it runs.
 */
static void test_past_age(void)
{
    sla_event_limits lim;
    sla_event_limits_default(&lim);
    CHECK_INT(lim.max_past_age_ms, INT64_C(30) * 86400000);

    static const char *const old[] = {"0", "1970-01-01T00:00:00Z", "1",
                                      "2025-10-26T19:44:07.999Z", /* 30 d + 1 ms */
                                      "1761507847999"};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        int rc = PARSE("ticket", "T-1", "type", "ticket.opened", "ts", old[i]);
        CHECK_INT(rc, SLA_EVERR_BAD_TS);
        if (rc != SLA_EVERR_BAD_TS)
            fprintf(stderr, "  ts '%s' accepted\n", old[i]);
        rc = PARSE("ticket", "T-1", "type", "callback.scheduled", "due", old[i]);
        CHECK_INT(rc, SLA_EVERR_BAD_DUE);
    }
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "ts", "0"), SLA_EVERR_BAD_TS);
    CHECK_STR(reason, "ts '0' is 20417d19h before the entry reached the stream, more than "
                      "stream.max_past_age (30d00h)");
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.scheduled", "due",
                    "1970-01-01T00:00:00Z"),
              SLA_EVERR_BAD_DUE);
    CHECK(strncmp(reason, "due '1970-01-01T00:00:00Z' is 20417d19h before", 46) == 0);

    /* Exactly 30 days before the id is still accepted; so is the future. */
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "ts", "1761507848000"), 0);
    CHECK_INT(ev.ts_ms, 1761507848000);
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.scheduled", "due",
                    "2025-10-26T19:44:08Z"),
              0);
    /* On a type that does not own it, `due` is a label and not checked. */
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.done", "due", "0"), 0);

    /* The bound is configurable, and 0 turns it off. */
    lim.max_past_age_ms = 3600000;
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "agent.reply", "ts",
                                              "1764096247999", NULL},
                        &lim),
              SLA_EVERR_BAD_TS);
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "agent.reply", "ts",
                                              "1764096248000", NULL},
                        &lim),
              0);
    lim.max_past_age_ms = 0;
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "agent.reply", "ts",
                                              "0", NULL},
                        &lim),
              0);

    /* The reference is the id, not a clock: an entry written at the epoch
     * may say so. */
    entry_free(&last);
    entry_build(&last, (const char *const[]){"ticket", "T-1", "type", "agent.reply", "ts", "0",
                                             NULL});
    CHECK_INT(sla_event_parse(&ev, last.fields, last.n, 5000, NULL, reason, sizeof reason), 0);
}

static void test_type_fields(void)
{
    /* due: required by callback.scheduled */
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.scheduled"), SLA_EVERR_BAD_DUE);
    CHECK_STR(reason, "callback.scheduled needs a 'due' field");
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.scheduled", "due", "soon"),
              SLA_EVERR_BAD_DUE);
    CHECK_STR(reason, "due 'soon' is neither integer milliseconds nor RFC 3339");
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.scheduled", "due",
                    "2026-11-26T09:00:00+01:00"),
              0);
    CHECK_INT(ev.due_ms, 1795680000000);
    CHECK_INT(PARSE("ticket", "T-1", "type", "callback.done", "due", "soon"), 0);
    CHECK_INT(ev.nattrs, 1);
    CHECK(attr_is(0, "due", "soon"));

    /* satisfaction: 1..5 on followup.done, optional */
    for (int s = 1; s <= 5; s++) {
        char v[2] = {(char)('0' + s), 0};
        CHECK_INT(PARSE("ticket", "T-1", "type", "followup.done", "satisfaction", v), 0);
        CHECK_INT(ev.satisfaction, s);
        CHECK_INT(ev.nattrs, 0);
    }
    CHECK_INT(PARSE("ticket", "T-1", "type", "followup.done"), 0);
    CHECK_INT(ev.satisfaction, 0);
    static const char *const bad_sat[] = {"0", "6", "10", "", "05", "+3", "3 ", "three"};
    for (size_t i = 0; i < sizeof bad_sat / sizeof bad_sat[0]; i++)
        CHECK_INT(PARSE("ticket", "T-1", "type", "followup.done", "satisfaction", bad_sat[i]),
                  SLA_EVERR_BAD_SATISFACTION);
    CHECK_INT(PARSE("ticket", "T-1", "type", "followup.done", "satisfaction", "7"),
              SLA_EVERR_BAD_SATISFACTION);
    CHECK_STR(reason, "satisfaction '7' is not an integer from 1 to 5");
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.resolved", "satisfaction", "7"), 0);
    CHECK_INT(ev.satisfaction, 0);
    CHECK_INT(ev.nattrs, 1);

    /* metric and by: escalation.ack */
    for (int m = 0; m < SLA_METRIC_COUNT; m++) {
        CHECK_INT(PARSE("ticket", "T-1", "type", "escalation.ack", "metric", sla_metric_name(m)),
                  0);
        CHECK_INT(ev.metric, m);
    }
    CHECK_INT(PARSE("ticket", "T-1", "type", "escalation.ack"), 0);
    CHECK_INT(ev.metric, -1);
    CHECK(ev.by == NULL);
    CHECK_INT(PARSE("ticket", "T-1", "type", "escalation.ack", "metric", "first-response"),
              SLA_EVERR_BAD_METRIC);
    CHECK_STR(reason, "unknown metric 'first-response'");
    CHECK_INT(PARSE("ticket", "T-1", "type", "escalation.ack", "metric", ""),
              SLA_EVERR_BAD_METRIC);
    CHECK_INT(PARSE("ticket", "T-1", "type", "agent.reply", "metric", "bogus", "by", "bob"), 0);
    CHECK_INT(ev.metric, -1);
    CHECK(ev.by == NULL);
    CHECK_INT(ev.nattrs, 2);
}

/* Attributes and labels keep input order; owned fields are cut out of attrs. */
static void test_attrs_order_and_borrowing(void)
{
    entry e;
    entry_build(&e, (const char *const[]){"by", "bob", "channel", "email", "ticket", "T-9",
                                          "region", "eu", "metric", "resolution", "type",
                                          "escalation.ack", "subject", "Printer\non fire",
                                          "due", "x", "ts", "1764099848999", NULL});
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, NULL, reason, sizeof reason), 0);
    CHECK_INT(ev.nattrs, 4);
    CHECK(attr_is(0, "channel", "email"));
    CHECK(attr_is(1, "region", "eu"));
    CHECK(attr_is(2, "subject", "Printer\non fire"));
    CHECK(attr_is(3, "due", "x"));
    CHECK_INT(ev.metric, SLA_METRIC_RESOLUTION);
    CHECK_INT(ev.ts_ms, 1764099848999);
    /* nothing copied: every pointer is into the caller's fields */
    CHECK(ev.by == e.fields[0].val && ev.by_len == 3);
    CHECK(ev.ticket == e.fields[2].val);
    CHECK(ev.attrs[0].key == e.fields[1].key && ev.attrs[0].val == e.fields[1].val);
    CHECK(ev.attrs[1].key == e.fields[3].key && ev.attrs[1].val == e.fields[3].val);
    CHECK(ev.attrs[2].val == e.fields[6].val);
    CHECK(ev.attrs[3].key == e.fields[7].key);
    entry_free(&e);

    /* same fields on another type: metric and by are labels, in place */
    CHECK_INT(PARSE("by", "bob", "channel", "email", "ticket", "T-9", "metric", "resolution",
                    "type", "agent.reply"),
              0);
    CHECK_INT(ev.nattrs, 3);
    CHECK_INT(ev.attrs[0].key_len, 2);
    CHECK_INT(ev.attrs[2].key_len, 6);
}

/*
 * One buffer holding all names and values back to back, with no separator
 * and no terminator: a parser that ran off the end of a field would read
 * the next one (wrong result) or, at the end, past the block (ASan).
 */
static void test_not_nul_terminated(void)
{
    static const char packed[] = "tickettypeticket.openedT-42tsX1764099848000subjectab";
    size_t len = sizeof packed - 1;
    char *buf = copy_exact(packed, len);
    sla_field f[4] = {
        {buf + 0, 6, buf + 23, 4},   /* ticket = T-42 */
        {buf + 6, 4, buf + 10, 13},  /* type = ticket.opened */
        {buf + 27, 2, buf + 30, 13}, /* ts = 1764099848000 */
        {buf + 43, 7, buf + 50, 2},  /* subject = ab (ends the block) */
    };
    CHECK_INT(sla_event_parse(&ev, f, 4, 0, NULL, reason, sizeof reason), 0);
    CHECK_INT(ev.type, SLA_EV_TICKET_OPENED);
    CHECK_INT(ev.ticket_len, 4);
    CHECK_INT(ev.ts_ms, 1764099848000);
    CHECK_INT(ev.nattrs, 1);
    CHECK(ev.attrs[0].val == buf + 50 && ev.attrs[0].val_len == 2);

    /* "ticket.opened" cut to "ticket.open": a prefix is no type */
    f[1].val_len = 11;
    CHECK_INT(sla_event_parse(&ev, f, 4, 0, NULL, reason, sizeof reason),
              SLA_EVERR_UNKNOWN_TYPE);
    CHECK_STR(reason, "unknown event type 'ticket.open'");
    /* "ts" read as "t": an ordinary label, the entry is fine */
    f[1].val_len = 13;
    f[2].key_len = 1;
    CHECK_INT(sla_event_parse(&ev, f, 4, 5, NULL, reason, sizeof reason), 0);
    CHECK_INT(ev.ts_ms, 5);
    CHECK_INT(ev.nattrs, 2);
    /* the last value's bytes up to the block's end, error path too */
    f[3].key = buf + 51;
    f[3].key_len = 1; /* "b" */
    f[3].val = buf + 50;
    f[3].val_len = 2;
    f[0].val_len = 0;
    CHECK_INT(sla_event_parse(&ev, f, 4, 0, NULL, reason, sizeof reason), SLA_EVERR_BAD_TICKET);
    free(buf);
}

static void test_bad_entries(void)
{
    CHECK_INT(PARSE("type", "ticket.opened"), SLA_EVERR_NO_TICKET);
    CHECK_STR(reason, "no 'ticket' field");
    CHECK_INT(ev.nattrs, 0);
    CHECK_INT(PARSE("ticket", "T-1", "channel", "email"), SLA_EVERR_NO_TYPE);
    CHECK_STR(reason, "no 'type' field");
    CHECK_INT(ev.nattrs, 0); /* nothing half-filled is left on failure */
    CHECK_INT(sla_event_parse(&ev, NULL, 0, ID_MS, NULL, reason, sizeof reason),
              SLA_EVERR_NO_TICKET);

    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.exploded"), SLA_EVERR_UNKNOWN_TYPE);
    CHECK_STR(reason, "unknown event type 'ticket.exploded'");
    CHECK_INT(PARSE("ticket", "T-1", "type", ""), SLA_EVERR_UNKNOWN_TYPE);
    CHECK_STR(reason, "unknown event type ''");

    CHECK_INT(PARSE("ticket", "", "type", "ticket.opened"), SLA_EVERR_BAD_TICKET);
    CHECK_STR(reason, "ticket id is empty");

    /* field names */
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "", "x"), SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field 3 has an empty name");
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "my field", "x"),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field name 'my field' has a byte outside [A-Za-z0-9_.-]");
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "caf\xc3\xa9", "x"),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field name 'caf\\xc3\\xa9' has a byte outside [A-Za-z0-9_.-]");
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "A-z_0.9", "x"), 0);

    char name[80];
    memset(name, 'n', sizeof name);
    name[64] = '\0';
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", name, "x"), 0);
    name[64] = 'n';
    name[65] = '\0';
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", name, "x"), SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason,
              "field name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is longer than 64 bytes");

    /* duplicates, reserved or not */
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "ticket", "T-2"),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field 'ticket' appears twice");
    CHECK_INT(PARSE("ticket", "T-1", "x", "1", "type", "ticket.opened", "x", "1"),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field 'x' appears twice");
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "x", "1", "X", "1"), 0);

    /* the first bad field in input order is the one reported */
    CHECK_INT(PARSE("a b", "1", "ticket", "\x01", "type", "nope"), SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field name 'a b' has a byte outside [A-Za-z0-9_.-]");
}

/* A duplicate among many fields: the hash grows and probes past collisions. */
static void test_many_fields_duplicate(void)
{
    sla_event_limits lim = {.max_entry_bytes = 1 << 20, .max_fields = 1000,
                            .max_value_bytes = 100};
    entry e;
    char key[16];

    e.n = 0;
    entry_add(&e, "ticket", 6, "T-1", 3);
    entry_add(&e, "type", 4, "ticket.opened", 13);
    for (int i = 0; i < SLA_EVENT_MAX_FIELDS - 2; i++) {
        int len = snprintf(key, sizeof key, "l%d", i);
        entry_add(&e, key, (size_t)len, "v", 1);
    }
    /* max_fields above SLA_EVENT_MAX_FIELDS is clamped to it */
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, &lim, reason, sizeof reason), 0);
    CHECK_INT(ev.nattrs, SLA_EVENT_MAX_FIELDS - 2);
    CHECK(attr_is(SLA_EVENT_MAX_FIELDS - 3, "l253", "v"));

    entry_add(&e, "l7", 2, "v", 1);
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, &lim, reason, sizeof reason),
              SLA_EVERR_TOO_MANY_FIELDS);
    CHECK_STR(reason, "entry has 257 fields, limit is 256");

    /* replace the last label with a duplicate of an early one */
    free((void *)e.fields[e.n - 2].key);
    free((void *)e.fields[e.n - 2].val);
    e.fields[e.n - 2] = e.fields[e.n - 1];
    e.n--;
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, &lim, reason, sizeof reason),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "field 'l7' appears twice");
    entry_free(&e);
}

static void test_limits(void)
{
    sla_event_limits lim = {.max_entry_bytes = 100, .max_fields = 4, .max_value_bytes = 20};

    /* field count: 4 ok, 5 too many (before anything else is looked at) */
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", "a",
                                              "1", "b", "2", NULL},
                        &lim),
              0);
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", "a",
                                              "1", "b", "2", "c c", "3", NULL},
                        &lim),
              SLA_EVERR_TOO_MANY_FIELDS);
    CHECK_STR(reason, "entry has 5 fields, limit is 4");

    /* value bytes: 20 ok, 21 oversize */
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", "s",
                                              "01234567890123456789", NULL},
                        &lim),
              0);
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", "s",
                                              "012345678901234567890", NULL},
                        &lim),
              SLA_EVERR_OVERSIZE);
    CHECK_STR(reason, "value of field 's' is 21 bytes, limit is 20");

    /* entry bytes: names and values, 100 ok, 101 oversize */
    /* 6+3 + 4+13 = 26; 3 * (1 + 20) = 63 -> 89; "d" + 10 = 100 */
    lim.max_fields = 8;
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", "a",
                                              "01234567890123456789", "b",
                                              "01234567890123456789", "c",
                                              "01234567890123456789", "d", "0123456789",
                                              NULL},
                        &lim),
              0);
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", "a",
                                              "01234567890123456789", "b",
                                              "01234567890123456789", "c",
                                              "01234567890123456789", "d", "01234567890",
                                              NULL},
                        &lim),
              SLA_EVERR_OVERSIZE);
    CHECK_STR(reason, "entry is 101 bytes, limit is 100");

    /* ticket id: 128 bytes ok, 129 refused */
    char id[SLA_TICKET_MAX_LEN + 2];
    memset(id, 't', sizeof id);
    id[SLA_TICKET_MAX_LEN] = '\0';
    CHECK_INT(PARSE("ticket", id, "type", "ticket.opened"), 0);
    CHECK_INT(ev.ticket_len, 128);
    id[SLA_TICKET_MAX_LEN] = 't';
    id[SLA_TICKET_MAX_LEN + 1] = '\0';
    CHECK_INT(PARSE("ticket", id, "type", "ticket.opened"), SLA_EVERR_BAD_TICKET);
    CHECK_STR(reason, "ticket id longer than 128 bytes");

    /* lengths whose sum overflows are refused before any byte is read */
    sla_field huge[2] = {{"ticket", 6, "T", SIZE_MAX}, {"type", 4, "x", SIZE_MAX / 2 + 1}};
    CHECK_INT(sla_event_parse(&ev, huge, 2, ID_MS, NULL, reason, sizeof reason),
              SLA_EVERR_OVERSIZE);
    huge[0].val_len = SIZE_MAX / 2;
    CHECK_INT(sla_event_parse(&ev, huge, 2, ID_MS, NULL, reason, sizeof reason),
              SLA_EVERR_OVERSIZE);

    /* zero limits refuse everything without reading fields */
    sla_event_limits zero = {0, 0, 0, 0};
    CHECK_INT(parse_lim((const char *const[]){"ticket", "T-1", "type", "ticket.opened", NULL},
                        &zero),
              SLA_EVERR_TOO_MANY_FIELDS);
}

static void test_control_characters(void)
{
    /* values: TAB, LF, CR allowed; other C0 bytes and DEL are not */
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "subject", "a\tb\nc\r\n"), 0);
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "subject",
                    "caf\xc3\xa9 \xe2\x82\xac"),
              0);
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "subject", "bell\x07"),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "value of field 'subject' has control byte \\x07 at offset 4");
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "subject", "del\x7f"),
              SLA_EVERR_BAD_FIELD);
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened", "ts", "17\x1b"),
              SLA_EVERR_BAD_FIELD);

    /* a NUL inside a value is a byte like any other: refused */
    entry e;
    entry_build(&e, (const char *const[]){"ticket", "T-1", "type", "ticket.opened", NULL});
    entry_add(&e, "subject", 7, "a\0b", 3);
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, NULL, reason, sizeof reason),
              SLA_EVERR_BAD_FIELD);
    CHECK_STR(reason, "value of field 'subject' has control byte \\x00 at offset 1");
    entry_free(&e);

    /* ticket ids: no control byte at all, TAB/LF/CR included; UTF-8 fine */
    CHECK_INT(PARSE("ticket", "T\t1", "type", "ticket.opened"), SLA_EVERR_BAD_TICKET);
    CHECK_STR(reason, "ticket id 'T\\x091' has control byte \\x09 at offset 1");
    CHECK_INT(PARSE("ticket", "T-1\n", "type", "ticket.opened"), SLA_EVERR_BAD_TICKET);
    CHECK_INT(PARSE("ticket", "\x7f", "type", "ticket.opened"), SLA_EVERR_BAD_TICKET);
    CHECK_INT(PARSE("ticket", "Tür-1 'x'", "type", "ticket.opened"), 0);
}

static void test_reason_quoting(void)
{
    /* quotes and backslashes escaped, the rest as \xNN, cut at 40 bytes */
    CHECK_INT(PARSE("ticket", "T-1", "type", "it's\\\xff"), SLA_EVERR_UNKNOWN_TYPE);
    CHECK_STR(reason, "unknown event type 'it\\'s\\\\\\xff'");

    char longtype[60];
    memset(longtype, 'y', sizeof longtype);
    longtype[39] = '\xc3';
    longtype[59] = '\0';
    CHECK_INT(PARSE("ticket", "T-1", "type", longtype), SLA_EVERR_UNKNOWN_TYPE);
    CHECK_STR(reason, "unknown event type 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\\xc3...'");

    /* exactly 40 bytes: no ellipsis */
    longtype[39] = 'y';
    longtype[40] = '\0';
    CHECK_INT(PARSE("ticket", "T-1", "type", longtype), SLA_EVERR_UNKNOWN_TYPE);
    CHECK(strstr(reason, "...") == NULL);

    /* a short buffer is truncated and terminated; NULL is allowed */
    entry e;
    entry_build(&e, (const char *const[]){"ticket", "T-1", "type", "nope", NULL});
    char small[8];
    memset(small, 'Z', sizeof small);
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, NULL, small, sizeof small),
              SLA_EVERR_UNKNOWN_TYPE);
    CHECK_STR(small, "unknown");
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, NULL, NULL, 0), SLA_EVERR_UNKNOWN_TYPE);
    CHECK_INT(sla_event_parse(&ev, e.fields, e.n, ID_MS, NULL, small, 0), SLA_EVERR_UNKNOWN_TYPE);
    entry_free(&e);

    /* success leaves an empty reason */
    CHECK_INT(PARSE("ticket", "T-1", "type", "ticket.opened"), 0);
    CHECK_STR(reason, "");
}

int main(void)
{
    test_names();
    test_every_type();
    test_customer_events();
    test_ts();
    test_past_age();
    test_type_fields();
    test_attrs_order_and_borrowing();
    test_not_nul_terminated();
    test_bad_entries();
    test_many_fields_duplicate();
    test_limits();
    test_control_characters();
    test_reason_quoting();
    entry_free(&last);
    return CHECK_DONE();
}
