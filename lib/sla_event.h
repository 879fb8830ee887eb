/*
 * sla_event — one stream entry parsed and validated into a typed event.
 *
 * Input is the flat field/value list of an entry of `sla:events` (SPEC
 * section 3), length-delimited and not NUL-terminated, plus the entry id's
 * millisecond part (the default event time). Nothing is copied: the event
 * borrows every string from the input, which must outlive it.
 *
 * Rules enforced (each failure has its own code and a human reason):
 *   - the entry is at most limits.max_entry_bytes (sum of all field and
 *     value lengths) and has at most limits.max_fields fields;
 *   - field names are 1..64 bytes of [A-Za-z0-9_.-]; no field appears twice;
 *   - `ticket` is present, 1..128 bytes, no control characters (< 0x20,
 *     0x7f);
 *   - `type` is present and one of the known types;
 *   - `ts` when present is integer ms or RFC 3339 (sla_timefmt), not
 *     earlier than limits.max_past_age_ms before the entry id's time;
 *   - `due` is required by and only meaningful for callback.scheduled, and
 *     bounded in the past like `ts`;
 *   - `satisfaction`, when present on followup.done, is an integer 1..5;
 *   - `metric` on escalation.ack, when present, names a metric;
 *   - a customer event (the types customer.signed ... customer.closed;
 *     not customer.message, a ticket's) has its id in `customer` (the
 *     ticket id's rules) and no `ticket`; escalation.ack without `ticket`
 *     but with `customer` acknowledges a customer's clocks;
 *   - `contract_end`, `renewal`, `upgrade` on customer.signed and
 *     customer.updated are times like `ts` (no past bound); they stay
 *     attributes, as does `satisfaction` of customer.revisited;
 *   - every value is at most limits.max_value_bytes and has no control
 *     characters other than TAB/LF/CR (subjects may hold newlines);
 * Every field that is not `ticket type ts due satisfaction metric by` (nor a
 * customer event's `customer`) is an
 * attribute (the well-known ones: channel priority category tier group
 * assignee customer subject url) or a label, kept in attrs in input order.
 */
#ifndef SLA_EVENT_H
#define SLA_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum sla_event_type {
    SLA_EV_TICKET_OPENED = 0,
    SLA_EV_CUSTOMER_MESSAGE,
    SLA_EV_AGENT_REPLY,
    SLA_EV_AGENT_UPDATE,
    SLA_EV_CALL_RINGING,
    SLA_EV_CALL_ANSWERED,
    SLA_EV_CALL_ABANDONED,
    SLA_EV_TICKET_UPDATED,
    SLA_EV_TICKET_PENDING,
    SLA_EV_TICKET_RESUMED,
    SLA_EV_TICKET_RESOLVED,
    SLA_EV_TICKET_REOPENED,
    SLA_EV_FOLLOWUP_DONE,
    SLA_EV_CALLBACK_SCHEDULED,
    SLA_EV_CALLBACK_DONE,
    SLA_EV_ESCALATION_ACK,
    SLA_EV_TICKET_CLOSED,
    /* customers (subject SLA_SUBJECT_CUSTOMER, id in `customer`) */
    SLA_EV_CUSTOMER_SIGNED,
    SLA_EV_CUSTOMER_UPDATED,
    SLA_EV_CUSTOMER_REVISITED,
    SLA_EV_CUSTOMER_REMINDED,
    SLA_EV_CUSTOMER_REVIEWED,
    SLA_EV_CUSTOMER_SURVEYED,
    SLA_EV_CUSTOMER_CHURNED,
    SLA_EV_CUSTOMER_CLOSED,
    SLA_EV_TYPE_COUNT
};
#define SLA_EV_CUSTOMER_FIRST SLA_EV_CUSTOMER_SIGNED

/* Why an entry was rejected; the reason name goes to sla:dead and metrics. */
enum sla_event_error {
    SLA_EVERR_NONE = 0,
    SLA_EVERR_OVERSIZE = -1,        /* "oversize" */
    SLA_EVERR_TOO_MANY_FIELDS = -2, /* "too_many_fields" */
    SLA_EVERR_BAD_FIELD = -3,       /* "bad_field": bad name, control chars, duplicate */
    SLA_EVERR_NO_TICKET = -4,       /* "no_ticket" */
    SLA_EVERR_BAD_TICKET = -5,      /* "bad_ticket" */
    SLA_EVERR_NO_TYPE = -6,         /* "no_type" */
    SLA_EVERR_UNKNOWN_TYPE = -7,    /* "unknown_type" */
    SLA_EVERR_BAD_TS = -8,          /* "bad_ts" */
    SLA_EVERR_BAD_DUE = -9,         /* "bad_due": missing or malformed */
    SLA_EVERR_BAD_SATISFACTION = -10, /* "bad_satisfaction" */
    SLA_EVERR_BAD_METRIC = -11,     /* "bad_metric" */
    SLA_EVERR_NO_CUSTOMER = -12,    /* "no_customer" */
    SLA_EVERR_BAD_CUSTOMER = -13,   /* "bad_customer" */
    SLA_EVERR_BAD_DATE = -14,       /* "bad_date": contract_end renewal upgrade */
    SLA_EVERR_COUNT_ = 15
};

/* One field/value pair, borrowed. */
typedef struct sla_field {
    const char *key;
    size_t key_len;
    const char *val;
    size_t val_len;
} sla_field;

typedef struct sla_event_limits {
    size_t max_entry_bytes; /* default 65536 */
    size_t max_fields;      /* default 64, at most SLA_EVENT_MAX_FIELDS */
    size_t max_value_bytes; /* default 8192 */
    /*
     * `ts` and `due` earlier than the entry id's time minus this are
     * refused (bad_ts / bad_due); 0 = no bound. Measured from the id, not
     * from a clock, so that every replay of an entry decides the same.
     * Default 30 days.
     */
    int64_t max_past_age_ms;
} sla_event_limits;

#define SLA_EVENT_MAX_FIELDS 256
#define SLA_TICKET_MAX_LEN 128

typedef struct sla_event {
    enum sla_event_type type;
    int subject;       /* enum sla_subject: whose id `ticket` is */
    const char *ticket; /* the subject's id: `ticket`, or `customer` for a customer */
    size_t ticket_len;
    int64_t ts_ms;     /* from `ts`, else the entry id time */
    int ts_given;      /* 1 when `ts` was present */
    int64_t due_ms;    /* callback.scheduled only */
    int satisfaction;  /* 1..5, 0 when absent */
    int metric;        /* escalation.ack: enum sla_metric, -1 = all */
    const char *by;    /* escalation.ack: who; NULL when absent */
    size_t by_len;
    size_t nattrs;
    sla_field attrs[SLA_EVENT_MAX_FIELDS]; /* attributes and labels */
} sla_event;

/* The defaults listed above. */
void sla_event_limits_default(sla_event_limits *lim);

/*
 * Parse fields[0..n) into *ev. id_ms is the entry id's time, the default
 * for ts. lim may be NULL for the defaults; a max_fields above
 * SLA_EVENT_MAX_FIELDS counts as SLA_EVENT_MAX_FIELDS. Allocates nothing:
 * ev borrows from fields, whose strings must outlive it.
 *
 * Returns 0, or a negative enum sla_event_error with a human reason
 * ("ticket id longer than 128 bytes", "unknown event type 'foo'") in
 * reason, which may quote (escaped, truncated) input; reason may be NULL,
 * is always NUL-terminated when reason_len > 0 and is "" on success. The
 * checks run in the order listed at the top (entry limits, then each field
 * in input order, then ticket, type, ts and the type's own fields): the
 * first that fails is reported. On failure ev->nattrs is 0 and the rest of
 * *ev is unspecified.
 */
int sla_event_parse(sla_event *ev, const sla_field *fields, size_t n, int64_t id_ms,
                    const sla_event_limits *lim, char *reason, size_t reason_len);

/*
 * s[0..len) as reasons quote input: escaped (\\, \', other bytes outside
 * 0x20..0x7e as \xNN), cut at 40 bytes followed by "...", NUL-terminated.
 */
#define SLA_EVENT_QUOTE_SIZE (40 * 4 + sizeof "..." + 1)
void sla_event_quote(char out[SLA_EVENT_QUOTE_SIZE], const char *s, size_t len);

/* "ticket.opened" ...; NULL when out of range. */
const char *sla_event_type_name(int type);
/* "oversize" ... for an enum sla_event_error; "none" for 0. */
const char *sla_event_error_name(int err);

/*
 * 1 for the ticket attributes slad knows by name (channel priority category
 * tier group assignee customer subject url), 0 for labels.
 */
int sla_event_is_known_attribute(const char *key, size_t len);

#endif
