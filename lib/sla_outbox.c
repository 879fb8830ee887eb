/*
 * sla_outbox — parsing outbox records. See sla_outbox.h for the contract.
 *
 * The record fields are described by one table (name -> parser -> where it
 * goes); a field seen twice is an error, as it is in the input stream, so
 * a record can never mean two things. Attributes are packed into the plain
 * "key\0value\0" form the engine's decisions carry.
 */
#include "sla_outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_metric.h"

enum outbox_slot {
    OUTBOX_ID = 0,
    OUTBOX_KIND,
    OUTBOX_TICKET,
    OUTBOX_METRIC,
    OUTBOX_POLICY,
    OUTBOX_LEVEL,
    OUTBOX_RECEIVER,
    OUTBOX_DEADLINE,
    OUTBOX_FIRED,
    OUTBOX_LATE,
    OUTBOX_CYCLE,
    OUTBOX_SLOTS
};

typedef int outbox_parse_fn(const sla_field *f, sla_decision *d);

/* A decimal integer in [min, max], the whole value. */
static int outbox_int(const sla_field *f, int64_t min, int64_t max, int64_t *out)
{
    char buf[24];
    if (f->val_len == 0 || f->val_len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, f->val, f->val_len);
    buf[f->val_len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static char *outbox_dup(const sla_field *f)
{
    char *s = malloc(f->val_len + 1);
    if (s) {
        memcpy(s, f->val, f->val_len);
        s[f->val_len] = '\0';
    }
    return s;
}

static int outbox_str(const sla_field *f, char **out)
{
    if (memchr(f->val, '\0', f->val_len))
        return -EINVAL;
    *out = outbox_dup(f);
    return *out ? 0 : -ENOMEM;
}

static int parse_id(const sla_field *f, sla_decision *d)
{
    if (f->val_len == 0 || f->val_len >= sizeof d->id || memchr(f->val, '\0', f->val_len))
        return -EINVAL;
    memcpy(d->id, f->val, f->val_len);
    d->id[f->val_len] = '\0';
    return 0;
}

static int parse_kind(const sla_field *f, sla_decision *d)
{
    for (int k = SLA_DECISION_WARNING; k <= SLA_DECISION_RECOVERED; k++) {
        const char *name = sla_decision_kind_name(k);
        if (strlen(name) == f->val_len && memcmp(name, f->val, f->val_len) == 0) {
            d->kind = (enum sla_decision_kind)k;
            return 0;
        }
    }
    return -EINVAL;
}

static int parse_ticket(const sla_field *f, sla_decision *d)
{
    return f->val_len ? outbox_str(f, &d->ticket) : -EINVAL;
}

static int parse_metric(const sla_field *f, sla_decision *d)
{
    d->metric = sla_metric_from_name(f->val, f->val_len);
    return d->metric < 0 ? -EINVAL : 0;
}

static int parse_policy(const sla_field *f, sla_decision *d) { return outbox_str(f, &d->policy); }

static int parse_receiver(const sla_field *f, sla_decision *d)
{
    return outbox_str(f, &d->receiver);
}

static int parse_level(const sla_field *f, sla_decision *d)
{
    int64_t v;
    int rc = outbox_int(f, 0, INT32_MAX, &v);
    d->level = (int)v;
    return rc;
}

static int parse_cycle(const sla_field *f, sla_decision *d)
{
    int64_t v;
    int rc = outbox_int(f, 0, UINT32_MAX, &v);
    d->cycle = (uint32_t)v;
    return rc;
}

static int parse_deadline(const sla_field *f, sla_decision *d)
{
    return outbox_int(f, INT64_MIN, INT64_MAX, &d->deadline_ms);
}

static int parse_fired(const sla_field *f, sla_decision *d)
{
    return outbox_int(f, INT64_MIN, INT64_MAX, &d->fired_ms);
}

static int parse_late(const sla_field *f, sla_decision *d)
{
    return outbox_int(f, 0, INT64_MAX, &d->late_ms);
}

static const struct {
    const char *name;
    outbox_parse_fn *parse;
} outbox_fields[OUTBOX_SLOTS] = {
    [OUTBOX_ID] = {"id", parse_id},
    [OUTBOX_KIND] = {"kind", parse_kind},
    [OUTBOX_TICKET] = {"ticket", parse_ticket},
    [OUTBOX_METRIC] = {"metric", parse_metric},
    [OUTBOX_POLICY] = {"policy", parse_policy},
    [OUTBOX_LEVEL] = {"level", parse_level},
    [OUTBOX_RECEIVER] = {"receiver", parse_receiver},
    [OUTBOX_DEADLINE] = {"deadline_ms", parse_deadline},
    [OUTBOX_FIRED] = {"fired_ms", parse_fired},
    [OUTBOX_LATE] = {"late_ms", parse_late},
    [OUTBOX_CYCLE] = {"cycle", parse_cycle},
};

static int outbox_slot(const sla_field *f)
{
    for (int i = 0; i < OUTBOX_SLOTS; i++)
        if (strlen(outbox_fields[i].name) == f->key_len &&
            memcmp(outbox_fields[i].name, f->key, f->key_len) == 0)
            return i;
    return -1;
}

static int outbox_is_outcome(const sla_field *f)
{
    size_t plen = sizeof SLA_OUTBOX_DELIVERY_PREFIX - 1;
    return f->key_len >= plen && memcmp(f->key, SLA_OUTBOX_DELIVERY_PREFIX, plen) == 0;
}

/* err = before name after; d is released. */
static int outbox_fail(sla_decision *d, int rc, char *err, size_t errlen, const char *before,
                       const char *name, const char *after)
{
    if (err && errlen)
        snprintf(err, errlen, "%s%s%s", before, name, after);
    sla_outbox_release(d);
    return rc;
}

/*
 * A customer's record has `customer` where a ticket's has `ticket` (and a
 * ticket's `customer` is an attribute): the index of the field that names
 * a customer subject, or n for a ticket's record.
 */
static size_t outbox_customer_at(const sla_field *fields, size_t n)
{
    size_t at = n;
    for (size_t i = 0; i < n; i++) {
        if (fields[i].key_len == 6 && memcmp(fields[i].key, "ticket", 6) == 0)
            return n;
        if (at == n && fields[i].key_len == 8 && memcmp(fields[i].key, "customer", 8) == 0)
            at = i;
    }
    return at;
}

int sla_outbox_parse(const sla_field *fields, size_t n, sla_decision *d, char *err,
                     size_t errlen)
{
    memset(d, 0, sizeof *d);
    unsigned seen = 0;
    size_t attrs_len = 0;
    size_t customer_at = outbox_customer_at(fields, n);
    if (customer_at < n)
        d->subject = SLA_SUBJECT_CUSTOMER;
    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];
        int slot = i == customer_at ? OUTBOX_TICKET : outbox_slot(f);
        if (slot < 0) {
            if (!outbox_is_outcome(f))
                attrs_len += f->key_len + 1 + f->val_len + 1;
            continue;
        }
        if (seen & (1u << slot))
            return outbox_fail(d, -EINVAL, err, errlen, "field ", outbox_fields[slot].name,
                               " appears twice");
        seen |= 1u << slot;
        int rc = outbox_fields[slot].parse(f, d);
        if (rc < 0)
            return outbox_fail(d, rc, err, errlen,
                               rc == -ENOMEM ? "out of memory reading " : "bad ",
                               outbox_fields[slot].name, "");
    }
    for (int i = 0; i < OUTBOX_SLOTS; i++)
        if (!(seen & (1u << i)))
            return outbox_fail(d, -EINVAL, err, errlen, "no ", outbox_fields[i].name, "");
    d->attrs = malloc(attrs_len + 1);
    if (d->attrs == NULL)
        return outbox_fail(d, -ENOMEM, err, errlen, "out of memory reading ", "attributes", "");
    char *p = d->attrs;
    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];
        if (i == customer_at || outbox_slot(f) >= 0 || outbox_is_outcome(f))
            continue;
        if (memchr(f->key, '\0', f->key_len) || memchr(f->val, '\0', f->val_len) ||
            f->key_len == 0)
            return outbox_fail(d, -EINVAL, err, errlen, "bad attribute ", "name or value", "");
        memcpy(p, f->key, f->key_len);
        p += f->key_len;
        *p++ = '\0';
        memcpy(p, f->val, f->val_len);
        p += f->val_len;
        *p++ = '\0';
    }
    d->attrs_len = attrs_len;
    d->attrs[attrs_len] = '\0';
    return 0;
}

void sla_outbox_release(sla_decision *d)
{
    free(d->ticket);
    free(d->policy);
    free(d->receiver);
    free(d->attrs);
    memset(d, 0, sizeof *d);
}
