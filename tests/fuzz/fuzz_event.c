/*
 * fuzz_event — sla_event_parse on arbitrary field lists.
 *
 * Input format: lines separated by '\n', read as alternating field name
 * and value ("ticket\nT-1\ntype\nticket.opened\n"); a trailing name
 * without a line for its value gets an empty value. Text seeds stay
 * readable and every byte except LF can appear in a name or a value (LF in
 * a value takes the same path as TAB and CR).
 *
 * Every name and value is copied into its own heap block of exactly its
 * length, without a terminator, so AddressSanitizer reports any read past
 * a field, as a Redis reply would not be NUL-terminated either. The limits
 * are small so that too_many_fields and oversize are reachable within
 * libFuzzer's default input size.
 *
 * Beyond "does not crash", the target checks what the parser promises:
 * on success the event is consistent with its input (ticket rules, every
 * field either consumed or in attrs, in order); on failure the code is
 * known and the reason is a non-empty line of printable ASCII; and the
 * result does not depend on the reason buffer (none, tiny, full).
 */
#include "fuzz.h"
#include "sla_event.h"
#include "sla_metric.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_FIELDS 16
#define FUZZ_ID_MS INT64_C(1764099848000)

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

static char *dup_exact(const uint8_t *p, size_t len)
{
    char *s = malloc(len ? len : 1);
    REQUIRE(s);
    if (len)
        memcpy(s, p, len);
    return s;
}

static int is_name(const sla_field *f, const char *name)
{
    return f->key_len == strlen(name) && memcmp(f->key, name, f->key_len) == 0;
}

/* The attrs are the input fields minus the consumed ones, in input order. */
static void check_event(const sla_event *ev, const sla_field *fields, size_t n)
{
    REQUIRE(sla_event_type_name((int)ev->type) != NULL);
    REQUIRE(ev->ticket_len >= 1 && ev->ticket_len <= SLA_TICKET_MAX_LEN);
    for (size_t i = 0; i < ev->ticket_len; i++) {
        unsigned char c = (unsigned char)ev->ticket[i];
        REQUIRE(c >= 0x20 && c != 0x7f);
    }
    REQUIRE(ev->satisfaction >= 0 && ev->satisfaction <= 5);
    REQUIRE(ev->metric >= -1 && ev->metric < SLA_METRIC_COUNT);
    REQUIRE(ev->ts_given || ev->ts_ms == FUZZ_ID_MS);

    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        const sla_field *f = &fields[i];
        int consumed = is_name(f, "ticket") || is_name(f, "type") || is_name(f, "ts") ||
                       (ev->type == SLA_EV_CALLBACK_SCHEDULED && is_name(f, "due")) ||
                       (ev->type == SLA_EV_FOLLOWUP_DONE && is_name(f, "satisfaction")) ||
                       (ev->type == SLA_EV_ESCALATION_ACK &&
                        (is_name(f, "metric") || is_name(f, "by")));
        if (consumed)
            continue;
        REQUIRE(a < ev->nattrs);
        /* borrowed, not copied */
        REQUIRE(ev->attrs[a].key == f->key && ev->attrs[a].val == f->val);
        a++;
    }
    REQUIRE(a == ev->nattrs);
}

static void check_reason(const char *reason, size_t cap)
{
    size_t len = strnlen(reason, cap);
    REQUIRE(len < cap);
    REQUIRE(len > 0 || cap == 1);
    for (size_t i = 0; i < len; i++)
        REQUIRE(reason[i] >= 0x20 && reason[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sla_event ev; /* 8 KiB of attrs: not on the fuzzer's stack */
    sla_field fields[FUZZ_MAX_FIELDS + 2];
    size_t n = 0, pos = 0;
    int want_key = 1;

    while (pos < size && n < FUZZ_MAX_FIELDS + 2) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        char *s = dup_exact(data + pos, len);
        if (want_key) {
            fields[n] = (sla_field){s, len, NULL, 0};
        } else {
            fields[n].val = s;
            fields[n].val_len = len;
            n++;
        }
        want_key = !want_key;
        pos += len + 1;
    }
    if (!want_key) { /* a name without a value line */
        fields[n].val = dup_exact(data, 0);
        n++;
    }

    sla_event_limits lim = {.max_entry_bytes = 600, .max_fields = FUZZ_MAX_FIELDS,
                            .max_value_bytes = 200};
    char reason[256], tiny[8];
    int rc = sla_event_parse(&ev, fields, n, FUZZ_ID_MS, &lim, reason, sizeof reason);
    REQUIRE(rc <= 0 && sla_event_error_name(rc) != NULL);
    if (rc == 0) {
        check_event(&ev, fields, n);
    } else {
        check_reason(reason, sizeof reason);
        REQUIRE(ev.nattrs == 0);
    }
    REQUIRE(sla_event_parse(&ev, fields, n, FUZZ_ID_MS, &lim, tiny, sizeof tiny) == rc);
    if (rc < 0) {
        check_reason(tiny, sizeof tiny);
        REQUIRE(strncmp(tiny, reason, sizeof tiny - 1) == 0);
    }
    REQUIRE(sla_event_parse(&ev, fields, n, FUZZ_ID_MS, &lim, NULL, 0) == rc);

    for (size_t i = 0; i < n; i++) {
        free((void *)fields[i].key);
        free((void *)fields[i].val);
    }
    return 0;
}
