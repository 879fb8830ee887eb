/*
 * sla_event — parse and validate one stream entry. See sla_event.h.
 *
 * Design. This runs once per entry on the ingest hot path (budget: about a
 * microsecond), so it allocates nothing and copies nothing: the event
 * borrows every key and value from the caller's field list. The work is
 * one pass over the fields and a short tail:
 *
 *   1. entry limits: field count, then the sum of all key and value bytes;
 *   2. per field, in input order (the first offending field is reported):
 *      name syntax, duplicate, value size, value control characters; a
 *      field is then either one of the reserved names (a row of
 *      reserved_fields[]) or an attribute/label appended to ev->attrs;
 *   3. ticket, type and ts, then the fields the type owns (type_defs[]
 *      .owns: `due` for callback.scheduled, ...), each through its row's
 *      `take` function.
 *
 * `due`, `satisfaction`, `metric` and `by` only mean something to the type
 * that owns them; on any other type they are ordinary labels. Since the
 * type may come after them in the entry, they are appended to ev->attrs
 * like labels during the pass, and the owned ones are cut out again at the
 * end (at most two, one memmove-like sweep), which keeps attrs in input
 * order without a second pass.
 *
 * Byte classes come from one 256-entry table (one load per byte); names
 * are looked up in small tables compared by length first. Duplicate names
 * are found with an open-addressing hash of field indexes on the stack,
 * sized to the field count: O(n) per entry.
 *
 * Reasons are for people reading sla:dead: they quote offending input
 * between single quotes, escaped (\\, \', non-printable bytes as \xNN) and
 * cut at QUOTE_MAX input bytes followed by "...".
 */
#include "sla_event.h"

#include "sla_duration.h"
#include "sla_metric.h"
#include "sla_timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FIELD_NAME_MAX 64
#define QUOTE_MAX 40
#define QUOTE_BUF SLA_EVENT_QUOTE_SIZE
_Static_assert(QUOTE_BUF == QUOTE_MAX * 4 + sizeof "..." + 1, "quote size");

/* --- byte classes ---------------------------------------------------------- */

enum {
    B_NAME = 1, /* allowed in a field name: [A-Za-z0-9_.-] */
    B_CTL = 2,  /* control byte refused in every value */
    B_WS = 4,   /* TAB, LF, CR: fine in values, refused in ticket ids */
};

#define N B_NAME
#define C B_CTL
#define W B_WS
static const unsigned char byte_class[256] = {
    /*        0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f */
    /* 0x */ C, C, C, C, C, C, C, C, C, W, W, C, C, W, C, C,
    /* 1x */ C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C,
    /* 2x */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, N, N, 0, /* - . */
    /* 3x */ N, N, N, N, N, N, N, N, N, N, 0, 0, 0, 0, 0, 0, /* 0-9 */
    /* 4x */ 0, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, /* A-O */
    /* 5x */ N, N, N, N, N, N, N, N, N, N, N, 0, 0, 0, 0, N, /* P-Z _ */
    /* 6x */ 0, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, /* a-o */
    /* 7x */ N, N, N, N, N, N, N, N, N, N, N, 0, 0, 0, 0, C, /* p-z DEL */
    /* 0x80..0xff: 0, UTF-8 passes through values untouched */
};
#undef N
#undef C
#undef W

/* Index of the first byte of s[0..len) in any of classes, or len. */
static size_t find_class(const char *s, size_t len, unsigned char classes)
{
    for (size_t i = 0; i < len; i++)
        if (byte_class[(unsigned char)s[i]] & classes)
            return i;
    return len;
}

/* --- reasons ----------------------------------------------------------------- */

/* Writes s[0..len) into out (QUOTE_BUF bytes) escaped and cut; NUL-terminated. */
void sla_event_quote(char out[QUOTE_BUF], const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = len > QUOTE_MAX ? QUOTE_MAX : len, o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '\'') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (len > n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Formats the reason (when there is room for one) and returns code. */
__attribute__((format(printf, 4, 5))) static int fail(char *reason, size_t reason_len,
                                                      int code, const char *fmt, ...)
{
    if (reason && reason_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* --- tables ----------------------------------------------------------------- */

/* Shorthand for the parse state handed to the `take` functions. */
typedef struct parse_ctx {
    sla_event *ev;
    char *reason;
    size_t reason_len;
    int64_t id_ms;       /* the entry id's time: the reference for max_past_ms */
    int64_t max_past_ms; /* 0 = no bound */
} parse_ctx;

static int take_ts(parse_ctx *c, const sla_field *f);
static int take_due(parse_ctx *c, const sla_field *f);
static int take_satisfaction(parse_ctx *c, const sla_field *f);
static int take_metric(parse_ctx *c, const sla_field *f);
static int take_by(parse_ctx *c, const sla_field *f);
static int take_customer(parse_ctx *c, const sla_field *f);
static int take_date(parse_ctx *c, const sla_field *f);

/* Reserved field names; the order of the enum is the order of validation. */
enum reserved_field {
    F_TICKET,
    F_TYPE,
    F_TS,
    F_DUE,
    F_SATISFACTION,
    F_METRIC,
    F_BY,
    F_CUSTOMER,
    F_CONTRACT_END,
    F_RENEWAL,
    F_UPGRADE,
    F_COUNT
};
#define F_FIRST_OWNED F_DUE /* from here on: owned by one type, else a label */
#define OWN(f) (1u << (f))

static const struct {
    const char *name;
    size_t len;
    int (*take)(parse_ctx *c, const sla_field *f); /* NULL: handled inline */
    int missing;                                   /* code when required and absent */
} reserved_fields[F_COUNT] = {
    [F_TICKET] = {"ticket", 6, NULL, SLA_EVERR_NO_TICKET},
    [F_TYPE] = {"type", 4, NULL, SLA_EVERR_NO_TYPE},
    [F_TS] = {"ts", 2, take_ts, SLA_EVERR_BAD_TS},
    [F_DUE] = {"due", 3, take_due, SLA_EVERR_BAD_DUE},
    [F_SATISFACTION] = {"satisfaction", 12, take_satisfaction, SLA_EVERR_BAD_SATISFACTION},
    [F_METRIC] = {"metric", 6, take_metric, SLA_EVERR_BAD_METRIC},
    [F_BY] = {"by", 2, take_by, SLA_EVERR_BAD_FIELD},
    [F_CUSTOMER] = {"customer", 8, take_customer, SLA_EVERR_NO_CUSTOMER},
    [F_CONTRACT_END] = {"contract_end", 12, take_date, SLA_EVERR_BAD_DATE},
    [F_RENEWAL] = {"renewal", 7, take_date, SLA_EVERR_BAD_DATE},
    [F_UPGRADE] = {"upgrade", 7, take_date, SLA_EVERR_BAD_DATE},
};

#define DATES (OWN(F_CONTRACT_END) | OWN(F_RENEWAL) | OWN(F_UPGRADE))
#define CUST OWN(F_CUSTOMER)

/*
 * Per type: its name, the reserved fields it owns, those it requires and
 * those of its own it keeps as attributes once checked. A type that
 * requires `customer` is a customer event.
 */
static const struct {
    const char *name;
    size_t len;
    unsigned owns, requires, keeps;
} type_defs[SLA_EV_TYPE_COUNT] = {
#define T(e, s, o, r) [e] = {s, sizeof s - 1, o, r, 0}
#define C(e, s, o, k) [e] = {s, sizeof s - 1, CUST | (o), CUST, k}
    T(SLA_EV_TICKET_OPENED, "ticket.opened", 0, 0),
    T(SLA_EV_CUSTOMER_MESSAGE, "customer.message", 0, 0),
    T(SLA_EV_AGENT_REPLY, "agent.reply", 0, 0),
    T(SLA_EV_AGENT_UPDATE, "agent.update", 0, 0),
    T(SLA_EV_CALL_RINGING, "call.ringing", 0, 0),
    T(SLA_EV_CALL_ANSWERED, "call.answered", 0, 0),
    T(SLA_EV_CALL_ABANDONED, "call.abandoned", 0, 0),
    T(SLA_EV_TICKET_UPDATED, "ticket.updated", 0, 0),
    T(SLA_EV_TICKET_PENDING, "ticket.pending", 0, 0),
    T(SLA_EV_TICKET_RESUMED, "ticket.resumed", 0, 0),
    T(SLA_EV_TICKET_RESOLVED, "ticket.resolved", 0, 0),
    T(SLA_EV_TICKET_REOPENED, "ticket.reopened", 0, 0),
    T(SLA_EV_FOLLOWUP_DONE, "followup.done", OWN(F_SATISFACTION), 0),
    T(SLA_EV_CALLBACK_SCHEDULED, "callback.scheduled", OWN(F_DUE), OWN(F_DUE)),
    T(SLA_EV_CALLBACK_DONE, "callback.done", 0, 0),
    T(SLA_EV_ESCALATION_ACK, "escalation.ack", OWN(F_METRIC) | OWN(F_BY), 0),
    T(SLA_EV_TICKET_CLOSED, "ticket.closed", 0, 0),
    C(SLA_EV_CUSTOMER_SIGNED, "customer.signed", DATES, DATES),
    C(SLA_EV_CUSTOMER_UPDATED, "customer.updated", DATES, DATES),
    C(SLA_EV_CUSTOMER_REVISITED, "customer.revisited", OWN(F_SATISFACTION),
      OWN(F_SATISFACTION)),
    C(SLA_EV_CUSTOMER_REMINDED, "customer.reminded", 0, 0),
    C(SLA_EV_CUSTOMER_REVIEWED, "customer.reviewed", 0, 0),
    C(SLA_EV_CUSTOMER_SURVEYED, "customer.surveyed", 0, 0),
    C(SLA_EV_CUSTOMER_CHURNED, "customer.churned", 0, 0),
    C(SLA_EV_CUSTOMER_CLOSED, "customer.closed", 0, 0),
#undef T
#undef C
};

static const char *const error_names[SLA_EVERR_COUNT_] = {
    [-SLA_EVERR_NONE] = "none",
    [-SLA_EVERR_OVERSIZE] = "oversize",
    [-SLA_EVERR_TOO_MANY_FIELDS] = "too_many_fields",
    [-SLA_EVERR_BAD_FIELD] = "bad_field",
    [-SLA_EVERR_NO_TICKET] = "no_ticket",
    [-SLA_EVERR_BAD_TICKET] = "bad_ticket",
    [-SLA_EVERR_NO_TYPE] = "no_type",
    [-SLA_EVERR_UNKNOWN_TYPE] = "unknown_type",
    [-SLA_EVERR_BAD_TS] = "bad_ts",
    [-SLA_EVERR_BAD_DUE] = "bad_due",
    [-SLA_EVERR_BAD_SATISFACTION] = "bad_satisfaction",
    [-SLA_EVERR_BAD_METRIC] = "bad_metric",
    [-SLA_EVERR_NO_CUSTOMER] = "no_customer",
    [-SLA_EVERR_BAD_CUSTOMER] = "bad_customer",
    [-SLA_EVERR_BAD_DATE] = "bad_date",
};

static const struct {
    const char *name;
    size_t len;
} known_attributes[] = {
    {"channel", 7}, {"priority", 8}, {"category", 8}, {"tier", 4},     {"group", 5},
    {"assignee", 8}, {"customer", 8}, {"subject", 7},  {"url", 3},
};

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static int reserved_lookup(const char *key, size_t len)
{
    for (int f = 0; f < F_COUNT; f++)
        if (same(reserved_fields[f].name, reserved_fields[f].len, key, len))
            return f;
    return -1;
}

static int type_lookup(const char *name, size_t len)
{
    for (int t = 0; t < SLA_EV_TYPE_COUNT; t++)
        if (same(type_defs[t].name, type_defs[t].len, name, len))
            return t;
    return -1;
}

const char *sla_event_type_name(int type)
{
    if (type < 0 || type >= SLA_EV_TYPE_COUNT)
        return NULL;
    return type_defs[type].name;
}

const char *sla_event_error_name(int err)
{
    if (err > 0 || err <= -SLA_EVERR_COUNT_)
        return NULL;
    return error_names[-err];
}

int sla_event_is_known_attribute(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof known_attributes / sizeof known_attributes[0]; i++)
        if (same(known_attributes[i].name, known_attributes[i].len, key, len))
            return 1;
    return 0;
}

void sla_event_limits_default(sla_event_limits *lim)
{
    lim->max_entry_bytes = 65536;
    lim->max_fields = 64;
    lim->max_value_bytes = 8192;
    lim->max_past_age_ms = INT64_C(30) * 86400000;
}

/* --- reserved field values ------------------------------------------------- */

/* `ts` and `due`: the field's value as a time into *out, or code. */
static int take_time(parse_ctx *c, const sla_field *f, int64_t *out, int code)
{
    char q[QUOTE_BUF];

    if (sla_time_parse(f->val, f->val_len, out) < 0) {
        sla_event_quote(q, f->val, f->val_len);
        return fail(c->reason, c->reason_len, code,
                    "%.*s '%s' is neither integer milliseconds nor RFC 3339", (int)f->key_len,
                    f->key, q);
    }
    /* id_ms >= 0 and the bound is at most years: no overflow. */
    if (c->max_past_ms > 0 && *out < c->id_ms - c->max_past_ms) {
        char ago[32], lim[32];
        sla_event_quote(q, f->val, f->val_len);
        sla_ms_format(c->id_ms - *out, ago, sizeof ago);
        sla_ms_format(c->max_past_ms, lim, sizeof lim);
        return fail(c->reason, c->reason_len, code,
                    "%.*s '%s' is %s before the entry reached the stream, more than "
                    "stream.max_past_age (%s)",
                    (int)f->key_len, f->key, q, ago, lim);
    }
    return 0;
}

static int take_ts(parse_ctx *c, const sla_field *f)
{
    int rc = take_time(c, f, &c->ev->ts_ms, SLA_EVERR_BAD_TS);

    c->ev->ts_given = rc == 0;
    return rc;
}

static int take_due(parse_ctx *c, const sla_field *f)
{
    return take_time(c, f, &c->ev->due_ms, SLA_EVERR_BAD_DUE);
}

static int take_satisfaction(parse_ctx *c, const sla_field *f)
{
    char q[QUOTE_BUF];

    if (f->val_len != 1 || f->val[0] < '1' || f->val[0] > '5') {
        sla_event_quote(q, f->val, f->val_len);
        return fail(c->reason, c->reason_len, SLA_EVERR_BAD_SATISFACTION,
                    "satisfaction '%s' is not an integer from 1 to 5", q);
    }
    c->ev->satisfaction = f->val[0] - '0';
    return 0;
}

static int take_metric(parse_ctx *c, const sla_field *f)
{
    char q[QUOTE_BUF];
    int m = sla_metric_from_name(f->val, f->val_len);

    if (m < 0) {
        sla_event_quote(q, f->val, f->val_len);
        return fail(c->reason, c->reason_len, SLA_EVERR_BAD_METRIC, "unknown metric '%s'", q);
    }
    c->ev->metric = m;
    return 0;
}

static int take_by(parse_ctx *c, const sla_field *f)
{
    c->ev->by = f->val;
    c->ev->by_len = f->val_len;
    return 0;
}

/*
 * A subject id (`ticket`, or a customer event's `customer`): 1..128 bytes,
 * no control bytes, not even TAB/LF/CR. 0 or the kind's bad_* code.
 */
static int check_id(parse_ctx *c, const sla_field *t, const char *what, int code)
{
    char q[QUOTE_BUF];
    if (t->val_len == 0)
        return fail(c->reason, c->reason_len, code, "%s id is empty", what);
    if (t->val_len > SLA_TICKET_MAX_LEN)
        return fail(c->reason, c->reason_len, code, "%s id longer than %d bytes", what,
                    SLA_TICKET_MAX_LEN);
    size_t bad = find_class(t->val, t->val_len, B_CTL | B_WS);
    if (bad < t->val_len) {
        sla_event_quote(q, t->val, t->val_len);
        return fail(c->reason, c->reason_len, code, "%s id '%s' has control byte \\x%02x at offset %zu",
                    what, q, (unsigned char)t->val[bad], bad);
    }
    c->ev->ticket = t->val;
    c->ev->ticket_len = t->val_len;
    return 0;
}

static int take_customer(parse_ctx *c, const sla_field *f)
{
    c->ev->subject = SLA_SUBJECT_CUSTOMER;
    return check_id(c, f, "customer", SLA_EVERR_BAD_CUSTOMER);
}

/* contract_end, renewal, upgrade: a time, like ts, but any date (a
 * contract may have ended before the customer reached slad). */
static int take_date(parse_ctx *c, const sla_field *f)
{
    char q[QUOTE_BUF];
    int64_t t;
    if (sla_time_parse(f->val, f->val_len, &t) < 0) {
        sla_event_quote(q, f->val, f->val_len);
        return fail(c->reason, c->reason_len, SLA_EVERR_BAD_DATE,
                    "%.*s '%s' is neither integer milliseconds nor RFC 3339", (int)f->key_len,
                    f->key, q);
    }
    return 0;
}

/* --- the parser ------------------------------------------------------------- */

static uint32_t hash_step(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u; /* FNV-1a */
}

/*
 * Removes the attrs at the ascending positions drop[0..ndrop), keeping the
 * others in order.
 */
static void attrs_drop(sla_event *ev, const size_t *drop, size_t ndrop)
{
    size_t w = drop[0], d = 0;

    for (size_t r = drop[0]; r < ev->nattrs; r++) {
        if (d < ndrop && r == drop[d]) {
            d++;
            continue;
        }
        ev->attrs[w++] = ev->attrs[r];
    }
    ev->nattrs = w;
}

/* Steps 1 and 2 of the design comment: limits and per-field checks. */
static int scan_fields(parse_ctx *c, const sla_field *fields, size_t n,
                       const sla_event_limits *lim, int at[F_COUNT],
                       size_t attr_pos[F_COUNT])
{
    sla_event *ev = c->ev;
    size_t max_fields = lim->max_fields < SLA_EVENT_MAX_FIELDS ? lim->max_fields
                                                               : SLA_EVENT_MAX_FIELDS;
    char q[QUOTE_BUF];

    if (n > max_fields)
        return fail(c->reason, c->reason_len, SLA_EVERR_TOO_MANY_FIELDS,
                    "entry has %zu fields, limit is %zu", n, max_fields);

    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t add = fields[i].key_len + fields[i].val_len;
        if (add < fields[i].key_len || total + add < total)
            total = SIZE_MAX; /* saturate: only ever compared with the limit */
        else
            total += add;
    }
    if (total > lim->max_entry_bytes)
        return fail(c->reason, c->reason_len, SLA_EVERR_OVERSIZE,
                    "entry is %zu bytes, limit is %zu", total, lim->max_entry_bytes);

    /* Hash of field indexes + 1 (0 = empty), at most half full. */
    uint16_t seen[2 * SLA_EVENT_MAX_FIELDS];
    size_t mask = 15;
    while (mask + 1 < 2 * n)
        mask = mask * 2 + 1;
    memset(seen, 0, (mask + 1) * sizeof seen[0]);

    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];

        if (f->key_len == 0)
            return fail(c->reason, c->reason_len, SLA_EVERR_BAD_FIELD,
                        "field %zu has an empty name", i + 1);
        if (f->key_len > FIELD_NAME_MAX) {
            sla_event_quote(q, f->key, f->key_len);
            return fail(c->reason, c->reason_len, SLA_EVERR_BAD_FIELD,
                        "field name '%s' is longer than %d bytes", q, FIELD_NAME_MAX);
        }
        uint32_t h = 2166136261u;
        for (size_t k = 0; k < f->key_len; k++) {
            unsigned char b = (unsigned char)f->key[k];
            if (!(byte_class[b] & B_NAME)) {
                sla_event_quote(q, f->key, f->key_len);
                return fail(c->reason, c->reason_len, SLA_EVERR_BAD_FIELD,
                            "field name '%s' has a byte outside [A-Za-z0-9_.-]", q);
            }
            h = hash_step(h, b);
        }
        size_t slot = h & mask;
        for (; seen[slot]; slot = (slot + 1) & mask) {
            const sla_field *g = &fields[seen[slot] - 1];
            if (same(g->key, g->key_len, f->key, f->key_len)) {
                sla_event_quote(q, f->key, f->key_len);
                return fail(c->reason, c->reason_len, SLA_EVERR_BAD_FIELD,
                            "field '%s' appears twice", q);
            }
        }
        seen[slot] = (uint16_t)(i + 1);

        if (f->val_len > lim->max_value_bytes) {
            sla_event_quote(q, f->key, f->key_len);
            return fail(c->reason, c->reason_len, SLA_EVERR_OVERSIZE,
                        "value of field '%s' is %zu bytes, limit is %zu", q, f->val_len,
                        lim->max_value_bytes);
        }

        int r = reserved_lookup(f->key, f->key_len);
        if (r != F_TICKET) { /* the ticket id has its own, stricter rule */
            size_t bad = find_class(f->val, f->val_len, B_CTL);
            if (bad < f->val_len) {
                sla_event_quote(q, f->key, f->key_len);
                return fail(c->reason, c->reason_len, SLA_EVERR_BAD_FIELD,
                            "value of field '%s' has control byte \\x%02x at offset %zu",
                            q, (unsigned char)f->val[bad], bad);
            }
        }
        if (r >= 0)
            at[r] = (int)i;
        if (r < 0 || r >= F_FIRST_OWNED) {
            if (r >= 0)
                attr_pos[r] = ev->nattrs;
            ev->attrs[ev->nattrs++] = *f;
        }
    }
    return 0;
}

int sla_event_parse(sla_event *ev, const sla_field *fields, size_t n, int64_t id_ms,
                    const sla_event_limits *lim, char *reason, size_t reason_len)
{
    sla_event_limits defaults;
    parse_ctx c = {ev, reason, reason_len, id_ms, 0};
    int at[F_COUNT];
    size_t attr_pos[F_COUNT];
    char q[QUOTE_BUF];
    int rc;

    if (!lim) {
        sla_event_limits_default(&defaults);
        lim = &defaults;
    }
    c.max_past_ms = lim->max_past_age_ms > 0 && id_ms >= 0 ? lim->max_past_age_ms : 0;
    if (reason && reason_len)
        reason[0] = '\0';
    ev->type = SLA_EV_TICKET_OPENED;
    ev->subject = SLA_SUBJECT_TICKET;
    ev->ticket = NULL;
    ev->ticket_len = 0;
    ev->ts_ms = id_ms;
    ev->ts_given = 0;
    ev->due_ms = 0;
    ev->satisfaction = 0;
    ev->metric = -1;
    ev->by = NULL;
    ev->by_len = 0;
    ev->nattrs = 0;
    for (int f = 0; f < F_COUNT; f++)
        at[f] = -1;

    rc = scan_fields(&c, fields, n, lim, at, attr_pos);
    if (rc < 0)
        goto out;

    /* Step 3: the subject's id, type, ts, then what the type owns. A
     * customer event (its type requires `customer`), or an
     * escalation.ack with a `customer` and no `ticket`, is a customer's. */
    int type = -1;
    if (at[F_TYPE] >= 0)
        type = type_lookup(fields[at[F_TYPE]].val, fields[at[F_TYPE]].val_len);
    unsigned owns = type >= 0 ? type_defs[type].owns : 0;
    unsigned requires = type >= 0 ? type_defs[type].requires : 0;
    if (type == SLA_EV_ESCALATION_ACK && at[F_TICKET] < 0 && at[F_CUSTOMER] >= 0) {
        owns |= CUST;
        requires |= CUST;
    }
    if (requires & CUST) {
        if (at[F_TICKET] >= 0) {
            rc = fail(reason, reason_len, SLA_EVERR_BAD_FIELD,
                      "%s is a customer's event: it has 'customer', not 'ticket'",
                      type_defs[type].name);
            goto out;
        }
        if (at[F_CUSTOMER] < 0) {
            rc = fail(reason, reason_len, SLA_EVERR_NO_CUSTOMER, "no 'customer' field");
            goto out;
        }
    } else {
        if (at[F_TICKET] < 0) {
            rc = fail(reason, reason_len, reserved_fields[F_TICKET].missing,
                      "no 'ticket' field");
            goto out;
        }
        if ((rc = check_id(&c, &fields[at[F_TICKET]], "ticket", SLA_EVERR_BAD_TICKET)) < 0)
            goto out;
    }

    if (at[F_TYPE] < 0) {
        rc = fail(reason, reason_len, reserved_fields[F_TYPE].missing, "no 'type' field");
        goto out;
    }
    if (type < 0) {
        const sla_field *ty = &fields[at[F_TYPE]];
        sla_event_quote(q, ty->val, ty->val_len);
        rc = fail(reason, reason_len, SLA_EVERR_UNKNOWN_TYPE, "unknown event type '%s'", q);
        goto out;
    }
    ev->type = (enum sla_event_type)type;

    if (at[F_TS] >= 0 && (rc = take_ts(&c, &fields[at[F_TS]])) < 0)
        goto out;

    size_t drop[F_COUNT], ndrop = 0;
    for (int f = F_FIRST_OWNED; f < F_COUNT; f++) {
        if (!(owns & OWN(f)))
            continue;
        if (at[f] < 0) {
            if (requires & OWN(f)) {
                rc = fail(reason, reason_len, reserved_fields[f].missing, "%s needs a '%s' field",
                          type_defs[type].name, reserved_fields[f].name);
                goto out;
            }
            continue;
        }
        if ((rc = reserved_fields[f].take(&c, &fields[at[f]])) < 0)
            goto out;
        if (type_defs[type].keeps & OWN(f))
            continue; /* checked, and an attribute all the same */
        /* insertion keeps drop[] ascending */
        size_t k = ndrop++;
        for (; k > 0 && drop[k - 1] > attr_pos[f]; k--)
            drop[k] = drop[k - 1];
        drop[k] = attr_pos[f];
    }
    if (ndrop)
        attrs_drop(ev, drop, ndrop);
    return 0;

out:
    ev->nattrs = 0;
    return rc;
}
