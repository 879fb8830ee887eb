/*
 * fuzz_timefmt — sla_time_parse, sla_time_format and the civil-date
 * arithmetic on arbitrary input.
 *
 * The whole input is a `ts` value as it arrives from a stream entry: a
 * heap block of exactly its length with no terminator, so AddressSanitizer
 * reports any read at s[len] or beyond. The first 8 bytes, little-endian,
 * are also an instant / a day number for the formatting and calendar
 * functions.
 *
 * Invariants checked:
 *   - a parsed instant is not before the epoch; the integer form gives
 *     exactly the digits' value; RFC 3339 text gives an instant before
 *     the year 10000 plus at most a day of offset;
 *   - an instant formatted as "YYYY-MM-DDThh:mm:ss.mmmZ" (24 bytes) parses
 *     back to itself, and so does every prefix length of the buffer
 *     (snprintf semantics);
 *   - the text of a parsed RFC 3339 instant, re-formatted, is the same
 *     instant (offsets, 't'/'z', fractions and leap seconds normalised);
 *   - days_from_civil and civil_from_days are inverse over their documented
 *     range, days_in_month agrees with the next day's date.
 */
#include "fuzz.h"
#include "sla_timefmt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

#define DAY_MS (24LL * 3600 * 1000)
/* 10000-01-01T00:00:00Z: the first instant no 4-digit year can name. */
#define YEAR_10000_MS (INT64_C(253402300800000))
#define CIVIL_MAX_DAYS (INT64_C(365) * 1000000)

static void check_format_roundtrip(int64_t t)
{
    char buf[64];
    int n = sla_time_format(t, buf, sizeof buf);
    REQUIRE(n > 0 && (size_t)n < sizeof buf && strlen(buf) == (size_t)n);
    if (t < 0 || t >= YEAR_10000_MS)
        return; /* not representable in RFC 3339 as sla_time_parse reads it */
    REQUIRE(n == 24 && buf[10] == 'T' && buf[23] == 'Z');
    int64_t back = -1;
    REQUIRE(sla_time_parse(buf, (size_t)n, &back) == 0 && back == t);
    for (size_t cap = 1; cap <= 25; cap++) {
        char part[32];
        memset(part, 'x', sizeof part);
        REQUIRE(sla_time_format(t, part, cap) == n);
        REQUIRE(strlen(part) == cap - 1 && memcmp(part, buf, cap - 1) == 0);
    }
    /* Every proper prefix of a valid time is not a time (no offset). */
    int64_t junk;
    REQUIRE(sla_time_parse(buf, 23, &junk) < 0);
}

static void check_civil(int64_t days)
{
    if (days < -CIVIL_MAX_DAYS || days > CIVIL_MAX_DAYS)
        days %= CIVIL_MAX_DAYS;
    int64_t y;
    int m, d;
    sla_civil_from_days(days, &y, &m, &d);
    REQUIRE(m >= 1 && m <= 12 && d >= 1 && d <= sla_days_in_month(y, m));
    REQUIRE(sla_days_from_civil(y, m, d) == days);
    int64_t y2;
    int m2, d2;
    sla_civil_from_days(days + 1, &y2, &m2, &d2);
    if (d == sla_days_in_month(y, m))
        REQUIRE(d2 == 1 && (m2 == m % 12 + 1) && y2 == y + (m == 12));
    else
        REQUIRE(d2 == d + 1 && m2 == m && y2 == y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    REQUIRE(s);
    if (size)
        memcpy(s, data, size);
    int64_t t = INT64_C(-12345);
    int rc = sla_time_parse(s, size, &t);
    REQUIRE(rc == 0 || rc == -1);
    if (rc == 0) {
        REQUIRE(t >= 0);
        int digits_only = size >= 1;
        for (size_t i = 0; i < size; i++)
            digits_only &= s[i] >= '0' && s[i] <= '9';
        if (digits_only) {
            REQUIRE(size <= 15);
            int64_t v = 0;
            for (size_t i = 0; i < size; i++)
                v = v * 10 + (s[i] - '0');
            REQUIRE(v == t);
        } else {
            REQUIRE(t < YEAR_10000_MS + DAY_MS);
            REQUIRE(size >= 20 && s[4] == '-' && s[7] == '-');
        }
        check_format_roundtrip(t);
        /* an RFC 3339 time ends with its offset: one byte less is none */
        int64_t shorter;
        if (!digits_only)
            REQUIRE(sla_time_parse(s, size - 1, &shorter) < 0);
    }
    free(s);

    uint64_t u = 0;
    for (size_t i = 0; i < 8 && i < size; i++)
        u |= (uint64_t)data[i] << (8 * i);
    check_format_roundtrip((int64_t)(u % (uint64_t)YEAR_10000_MS));
    check_format_roundtrip((int64_t)u);
    check_civil((int64_t)u);
    check_civil((int64_t)(u >> 40) - (INT64_C(1) << 23));
    return 0;
}
