/*
 * fuzz_duration — sla_span_parse, sla_warn_parse and sla_ms_format on
 * arbitrary input.
 *
 * The input up to its first NUL byte is the text of a duration setting
 * (libconfig hands the loader NUL-terminated strings), copied into a heap
 * block of exactly its length plus the terminator, so AddressSanitizer
 * reports a read past it. The first 8 bytes of the input, little-endian,
 * are also a signed millisecond count for sla_ms_format.
 *
 * Beyond "does not crash", the target checks what the module promises:
 *   - a parsed span has no negative part, stays within SLA_SPAN_MAX_MS
 *     (days as 24 h), and rings never combine with other units;
 *   - a parsed span written back in canonical form ("3d5000ms",
 *     "4 rings") parses to the same span, so nothing is lost or rounded;
 *   - an error leaves a non-empty, terminated reason, and the result does
 *     not depend on the error buffer (none, tiny, full);
 *   - a warn setting is either a percentage 1..99 or a non-zero span;
 *   - sla_ms_format follows snprintf semantics for every buffer size, a
 *     negative count and only a negative count starts with '-', and the
 *     text is digits and the unit letters d, h, m, s.
 */
#include "fuzz.h"
#include "sla_duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

static int span_eq(const sla_span *a, const sla_span *b)
{
    return a->ms == b->ms && a->days == b->days && a->rings == b->rings;
}

static void check_reason(const char *err, size_t cap)
{
    size_t n = strnlen(err, cap);
    REQUIRE(n < cap);
    REQUIRE(n > 0 || cap == 1);
}

static void check_span(const char *text)
{
    sla_span s, again;
    char err[128], tiny[4];
    memset(&s, 0x5a, sizeof s);
    int rc = sla_span_parse(text, &s, err, sizeof err);
    REQUIRE(rc == 0 || rc == -1);
    REQUIRE(sla_span_parse(text, &again, NULL, 0) == rc);
    REQUIRE(sla_span_parse(text, &again, tiny, sizeof tiny) == rc);
    if (rc < 0) {
        check_reason(err, sizeof err);
        check_reason(tiny, sizeof tiny);
        REQUIRE(strncmp(tiny, err, sizeof tiny - 1) == 0);
        return;
    }
    REQUIRE(span_eq(&s, &again));
    REQUIRE(s.ms >= 0 && s.days >= 0 && s.rings >= 0);
    REQUIRE(sla_span_plain_ms(&s, 0) <= SLA_SPAN_MAX_MS);
    REQUIRE(s.rings == 0 || (s.ms == 0 && s.days == 0));
    REQUIRE(sla_span_is_zero(&s) == (s.ms == 0 && s.days == 0 && s.rings == 0));
    /* rings at their longest configurable length (60 s) must not wrap */
    int64_t with_rings = sla_span_plain_ms(&s, 60000);
    REQUIRE(with_rings >= 0 && with_rings == sla_span_plain_ms(&s, 0) + (int64_t)s.rings * 60000);

    char canon[96];
    if (s.rings)
        snprintf(canon, sizeof canon, "%" PRId32 " rings", s.rings);
    else if (s.days)
        snprintf(canon, sizeof canon, "%" PRId32 "d%" PRId64 "ms", s.days, s.ms);
    else
        snprintf(canon, sizeof canon, "%" PRId64 "ms", s.ms);
    sla_span back;
    REQUIRE(sla_span_parse(canon, &back, err, sizeof err) == 0);
    REQUIRE(span_eq(&s, &back));
}

static void check_warn(const char *text)
{
    int percent = -7;
    sla_span before = {-1, -1, -1}, again_before;
    char err[160];
    int again_percent;
    int rc = sla_warn_parse(text, &percent, &before, err, sizeof err);
    REQUIRE(rc == 0 || rc == -1);
    REQUIRE(sla_warn_parse(text, &again_percent, &again_before, NULL, 0) == rc);
    if (rc < 0) {
        check_reason(err, sizeof err);
        return;
    }
    REQUIRE(again_percent == percent && span_eq(&before, &again_before));
    if (percent) {
        REQUIRE(percent >= 1 && percent <= 99);
        REQUIRE(sla_span_is_zero(&before));
    } else {
        REQUIRE(!sla_span_is_zero(&before));
        sla_span s;
        REQUIRE(sla_span_parse(text, &s, NULL, 0) == 0 && span_eq(&s, &before));
    }
}

static void check_format(int64_t ms)
{
    char full[64];
    int n = sla_ms_format(ms, full, sizeof full);
    REQUIRE(n > 0 && (size_t)n < sizeof full && strlen(full) == (size_t)n);
    REQUIRE((full[0] == '-') == (ms < 0));
    for (int i = full[0] == '-'; i < n; i++)
        REQUIRE((full[i] >= '0' && full[i] <= '9') || strchr("dhms", full[i]));
    REQUIRE(full[n - 1] == 's' || full[n - 1] == 'h' || full[n - 1] == 'm');
    REQUIRE(sla_ms_format(ms, NULL, 0) == n);
    for (size_t cap = 1; cap <= (size_t)n + 1; cap++) {
        char part[64];
        memset(part, 'x', sizeof part);
        REQUIRE(sla_ms_format(ms, part, cap) == n);
        REQUIRE(strlen(part) == cap - 1 && memcmp(part, full, cap - 1) == 0);
    }
    /* Below a minute the text is exact and reads back as a duration. */
    if (ms >= 0 && ms < 1000) {
        sla_span s;
        REQUIRE(sla_span_parse(full, &s, NULL, 0) == 0 && s.ms == ms && s.days == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t len = nul ? (size_t)(nul - data) : size;
    char *text = malloc(len + 1);
    REQUIRE(text);
    memcpy(text, data, len);
    text[len] = '\0';
    check_span(text);
    check_warn(text);
    free(text);

    uint64_t u = 0;
    for (size_t i = 0; i < 8 && i < size; i++)
        u |= (uint64_t)data[i] << (8 * i);
    check_format((int64_t)u);
    check_format((int64_t)(u >> 24)); /* also the small magnitudes of real use */
    return 0;
}
