/*
 * sla_duration — durations as written in the configuration. See
 * sla_duration.h.
 *
 * Grammar (after trimming surrounding blanks):
 *
 *   span  := part+ | N ' '* ("ring" | "rings")
 *   part  := N unit            unit in d, h, m, s, ms, each at most once,
 *                              strictly largest first
 *   N     := [0-9]+
 *
 * "d" goes to span.days and every other unit to span.ms, because a day under
 * a business calendar is a business day, not 24 hours. Rings stand alone:
 * "1m3 rings" has no sensible meaning. Every step checks for overflow before
 * it happens, and the total (days as 24 h) must stay within SLA_SPAN_MAX_MS,
 * so later arithmetic on spans never overflows.
 *
 * No allocation; the functions write only into the caller's buffers.
 */
#include "sla_duration.h"

#include "sla_error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

/* Pickup targets count a handful of rings; this only keeps
 * rings * ring_ms far from overflow for any sane ring length. */
#define SPAN_MAX_RINGS 100000

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Units in the only order they may appear; rank = index. */
static const struct {
    const char *name;
    int64_t ms; /* 0 for days, which are kept apart */
} units[] = {
    {"d", 0}, {"h", 3600 * 1000}, {"m", 60 * 1000}, {"s", 1000}, {"ms", 1},
};
#define UNIT_COUNT ((int)(sizeof units / sizeof units[0]))

/* Reads digits at *p into *v; -1 when there are none or the value would not
 * fit in an int64_t. */
static int read_number(const char **p, const char *end, int64_t *v)
{
    const char *s = *p;
    int64_t n = 0;
    if (s == end || !is_digit(*s))
        return -1;
    while (s < end && is_digit(*s)) {
        int d = *s - '0';
        if (n > (INT64_MAX - d) / 10)
            return -2;
        n = n * 10 + d;
        s++;
    }
    *p = s;
    *v = n;
    return 0;
}

/* 1 when [p, end) is blanks then "ring" or "rings". */
static int is_rings_word(const char *p, const char *end)
{
    while (p < end && is_blank(*p))
        p++;
    size_t rest = (size_t)(end - p);
    return (rest == 4 && memcmp(p, "ring", 4) == 0) || (rest == 5 && memcmp(p, "rings", 5) == 0);
}

int sla_span_parse(const char *text, sla_span *out, char *err, size_t errlen)
{
    sla_span s = {0, 0, 0};
    if (!text)
        return sla_error(err, errlen, "empty duration");
    const char *p = text, *end = text + strlen(text);
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    if (p == end)
        return sla_error(err, errlen, "empty duration");
    if (*p == '-' || *p == '+')
        return sla_error(err, errlen, "a duration has no sign");

    int next_rank = 0; /* the smallest unit rank still allowed */
    int parts = 0;
    while (p < end) {
        int64_t n;
        int rc = read_number(&p, end, &n);
        if (rc == -2)
            return sla_error(err, errlen, "duration too large");
        if (rc < 0)
            return sla_error(err, errlen, "expected a number at '%.*s'", (int)(end - p), p);
        if (p < end && *p == '.')
            return sla_error(err, errlen, "fractions are not supported; use a smaller unit");
        if (p == end)
            return sla_error(err, errlen, "missing unit after %" PRId64 " (ms, s, m, h, d or rings)",
                        n);
        if (is_rings_word(p, end)) {
            if (parts > 0)
                return sla_error(err, errlen, "rings cannot be combined with other units");
            if (n > SPAN_MAX_RINGS)
                return sla_error(err, errlen, "too many rings (at most %d)", SPAN_MAX_RINGS);
            s.rings = (int32_t)n;
            *out = s;
            return 0;
        }
        /* The unit is the run of letters; "ms" must not read as "m" + "s". */
        const char *u = p;
        while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            p++;
        size_t ulen = (size_t)(p - u);
        int rank = -1;
        for (int i = 0; i < UNIT_COUNT; i++)
            if (strlen(units[i].name) == ulen && memcmp(units[i].name, u, ulen) == 0)
                rank = i;
        if (ulen == 0)
            return sla_error(err, errlen, "unexpected '%c' in duration", *u);
        if (rank < 0)
            return sla_error(err, errlen, "unknown unit '%.*s' (ms, s, m, h, d or rings)", (int)ulen,
                        u);
        if (rank < next_rank)
            return sla_error(err, errlen, "unit '%s' repeated or out of order (write the largest first)",
                        units[rank].name);
        next_rank = rank + 1;
        parts++;

        if (units[rank].ms == 0) {
            if (n > SLA_SPAN_MAX_MS / DAY_MS)
                return sla_error(err, errlen, "duration too large (at most 10 years)");
            s.days = (int32_t)n;
        } else {
            if (n > SLA_SPAN_MAX_MS / units[rank].ms)
                return sla_error(err, errlen, "duration too large (at most 10 years)");
            s.ms += n * units[rank].ms; /* both terms <= SLA_SPAN_MAX_MS: no overflow */
        }
        if (s.ms > SLA_SPAN_MAX_MS - (int64_t)s.days * DAY_MS)
            return sla_error(err, errlen, "duration too large (at most 10 years)");
    }
    *out = s;
    return 0;
}

int sla_span_is_zero(const sla_span *s)
{
    return s->ms == 0 && s->days == 0 && s->rings == 0;
}

int64_t sla_span_plain_ms(const sla_span *s, int64_t ring_ms)
{
    /* Parsed spans are bounded (days and ms by SLA_SPAN_MAX_MS, rings by
     * SPAN_MAX_RINGS); saturate anyway so a hand-built span cannot wrap. */
    int64_t total = s->ms + (int64_t)s->days * DAY_MS;
    if (s->rings > 0 && ring_ms > 0) {
        if (ring_ms > (INT64_MAX - total) / s->rings)
            return INT64_MAX;
        total += (int64_t)s->rings * ring_ms;
    }
    return total;
}

int sla_warn_parse(const char *text, int *percent, sla_span *before, char *err, size_t errlen)
{
    if (!text)
        return sla_error(err, errlen, "empty warn setting");
    size_t len = strlen(text);
    while (len > 0 && is_blank(text[len - 1]))
        len--;
    if (len > 0 && text[len - 1] == '%') {
        const char *p = text, *end = text + len - 1;
        while (p < end && is_blank(*p))
            p++;
        int64_t n;
        if (read_number(&p, end, &n) != 0 || p != end)
            return sla_error(err, errlen, "warn percentage must be a whole number, as in \"80%%\"");
        if (n < 1 || n > 99)
            return sla_error(err, errlen, "warn percentage must be between 1%% and 99%%");
        *percent = (int)n;
        *before = (sla_span){0, 0, 0};
        return 0;
    }
    sla_span s;
    char why[128];
    if (sla_span_parse(text, &s, why, sizeof why) < 0)
        return sla_error(err, errlen, "warn must be a percentage (\"80%%\") or a duration: %s", why);
    /* A warning at the deadline itself is the breach; it is a typo, not a
     * setting. */
    if (sla_span_is_zero(&s))
        return sla_error(err, errlen, "warn of 0 before the deadline would fire with the breach");
    *percent = 0;
    *before = s;
    return 0;
}

int sla_ms_format(int64_t ms, char *buf, size_t len)
{
    /* Work on the magnitude as unsigned so INT64_MIN has one too. */
    const char *sign = ms < 0 ? "-" : "";
    uint64_t v = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    uint64_t sec = v / 1000, min = sec / 60, hour = min / 60, day = hour / 24;
    if (v < 1000)
        return snprintf(buf, len, "%s%" PRIu64 "ms", sign, v);
    if (sec < 60)
        return snprintf(buf, len, "%s%" PRIu64 "s", sign, sec);
    if (min < 60)
        return snprintf(buf, len, "%s%" PRIu64 "m%02" PRIu64 "s", sign, min, sec % 60);
    if (hour < 24)
        return snprintf(buf, len, "%s%" PRIu64 "h%02" PRIu64 "m", sign, hour, min % 60);
    return snprintf(buf, len, "%s%" PRIu64 "d%02" PRIu64 "h", sign, day, hour % 24);
}
