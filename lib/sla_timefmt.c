/*
 * sla_timefmt — event times on the wire. See sla_timefmt.h.
 *
 * The parser is a cursor over [s, s + len) that only ever asks "is there one
 * more byte?" before reading it, because stream values arrive without a
 * terminating NUL. Dates become instants through days-from-civil arithmetic
 * (Howard Hinnant's era/day-of-era method), not timegm() or mktime(), so the
 * result never depends on the TZ environment variable or on locale.
 *
 * RFC 3339 accepted:
 *
 *   YYYY-MM-DD ('T' | 't' | ' ') hh:mm:ss [ '.' digit+ ] ('Z' | 'z' | ('+'|'-') hh:mm)
 *
 * Fractions of any length are truncated (not rounded) to milliseconds, so a
 * timestamp never moves into the next millisecond. A leap second (ss = 60) is
 * accepted in any minute and read as ss = 59.999: the instant stays within
 * the minute it names and the date never rolls over.
 *
 * No allocation; no state.
 */
#include "sla_timefmt.h"

#include <inttypes.h>
#include <stdio.h>

#define DAY_MS (24LL * 3600 * 1000)

int sla_days_in_month(int64_t year, int month)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return mdays[month - 1];
}

int64_t sla_days_from_civil(int64_t year, int month, int day)
{
    /* Count years from March so the leap day is the last day of a year. */
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t mp = month > 2 ? month - 3 : month + 9;                /* 0..11, March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + day - 1;                    /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void sla_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

struct cursor {
    const char *p, *end;
};

/* Exactly n digits, as a number. */
static int digits(struct cursor *c, int n, int *out)
{
    if (c->end - c->p < n)
        return -1;
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = c->p[i];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    c->p += n;
    *out = v;
    return 0;
}

static int byte(struct cursor *c, char want)
{
    if (c->p == c->end || *c->p != want)
        return -1;
    c->p++;
    return 0;
}

static int parse_integer(const char *s, size_t len, int64_t *out)
{
    if (len < 1 || len > 15)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0'); /* 15 digits cannot overflow */
    }
    *out = v;
    return 0;
}

static int parse_rfc3339(const char *s, size_t len, int64_t *out)
{
    struct cursor c = {s, s + len};
    int year, month, day, hour, minute, second, ms = 0;

    if (digits(&c, 4, &year) || byte(&c, '-') || digits(&c, 2, &month) || byte(&c, '-') ||
        digits(&c, 2, &day))
        return -1;
    if (c.p == c.end || (*c.p != 'T' && *c.p != 't' && *c.p != ' '))
        return -1;
    c.p++;
    if (digits(&c, 2, &hour) || byte(&c, ':') || digits(&c, 2, &minute) || byte(&c, ':') ||
        digits(&c, 2, &second))
        return -1;
    if (c.p < c.end && *c.p == '.') {
        c.p++;
        int n = 0;
        while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
            if (n < 3)
                ms = ms * 10 + (*c.p - '0');
            n++;
            c.p++;
        }
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            ms *= 10;
    }

    int offset_min;
    if (c.p == c.end)
        return -1; /* RFC 3339 requires an offset; local time is ambiguous */
    if (*c.p == 'Z' || *c.p == 'z') {
        c.p++;
        offset_min = 0;
    } else if (*c.p == '+' || *c.p == '-') {
        int neg = *c.p == '-', oh, om;
        c.p++;
        if (digits(&c, 2, &oh) || byte(&c, ':') || digits(&c, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        offset_min = (neg ? -1 : 1) * (oh * 60 + om);
    } else {
        return -1;
    }
    if (c.p != c.end)
        return -1;

    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
        day > sla_days_in_month(year, month))
        return -1;
    if (hour > 23 || minute > 59 || second > 60)
        return -1;
    if (second == 60) {
        second = 59;
        ms = 999;
    }

    int64_t t = sla_days_from_civil(year, month, day) * DAY_MS +
                ((int64_t)hour * 3600 + minute * 60 + second) * 1000 + ms -
                (int64_t)offset_min * 60 * 1000;
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}

int sla_time_parse(const char *s, size_t len, int64_t *out_ms)
{
    if (!s)
        return -1;
    /* A date starts with four digits and a dash; anything else must be the
     * integer form. */
    if (len >= 5 && s[4] == '-')
        return parse_rfc3339(s, len, out_ms);
    return parse_integer(s, len, out_ms);
}

int sla_time_format(int64_t ms, char *buf, size_t len)
{
    int64_t days = ms / DAY_MS, rem = ms % DAY_MS;
    if (rem < 0) { /* floor division for instants before the epoch */
        rem += DAY_MS;
        days--;
    }
    int64_t year;
    int month, day;
    sla_civil_from_days(days, &year, &month, &day);
    int sec = (int)(rem / 1000);
    return snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day,
                    sec / 3600, sec / 60 % 60, sec % 60, (int)(rem % 1000));
}
