/*
 * fuzz_calendar — business calendars built from fuzzed hours, holidays and
 * extra working days, then checked for the arithmetic they promise.
 *
 * Input layout (missing bytes read as 0):
 *   u8  zone: index into `zones` (real IANA zones with odd rules: half-hour
 *       and 2-hour DST, negative DST, a skipped day, and names that are
 *       not zones)
 *   u8  extra_day_hours weekday (values 7.. leave the default)
 *   u8  number of ranges (mod 24), then per range:
 *       u8 weekday (mod 9, so 7 and 8 are invalid), u16 start, u16 end
 *       (minutes mod 1500, so some are out of range)
 *   u8  number of holidays (mod 16), then per date: u8 year (2005 + mod 40),
 *       u8 month (mod 14), u8 day (mod 33); the same for extra working days
 *   then queries until the input ends, each 17 bytes:
 *       u48 from (2005..2045, or far outside when the top bit is set),
 *       u32 x, u32 y (business ms, up to ~50 days), u8 days, u8 rings,
 *       u8 ring seconds
 *
 * Invariants, for every query on a finished calendar:
 *   - add_ms(from, x) = a is the earliest instant with elapsed(from, a) == x
 *     (elapsed(from, a - 1) < x), or INT64_MAX ("never");
 *   - add_ms is monotonic in x; add_ms(from, 0) is from when working, else
 *     a later working instant with no business time in between;
 *   - elapsed is additive over [from, b) + [b, c), never more than the
 *     wall-clock span, and elapsed(t, t + 1) == is_working(t);
 *   - deadline(from, {ms, 0 days, rings}) == add_ms(from, ms + rings *
 *     ring_ms); with days it is not before from and monotonic in days.
 * A calendar that fails to finish still answers without crashing.
 */
#include "fuzz.h"
#include "sla_calendar.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

#define DAY_MS (24LL * 3600 * 1000)
#define NEVER INT64_MAX
#define FROM_BASE INT64_C(1104537600000) /* 2005-01-01T00:00:00Z */
#define FROM_SPAN (40LL * 365 * DAY_MS)
#define X_MAX (50LL * DAY_MS)

static const char *const zones[] = {
    "UTC",           "Europe/Berlin",      "America/New_York",  "Australia/Lord_Howe",
    "Asia/Kathmandu", "Pacific/Apia",      "Africa/Casablanca", "Europe/Dublin",
    "Antarctica/Troll", "America/St_Johns", "Asia/Shanghai",    "Pacific/Chatham",
    "Nowhere/Zone",  "",                   "../zoneinfo/UTC",   "Europe",
};
#define NZONES (sizeof zones / sizeof zones[0])

struct reader {
    const uint8_t *p;
    size_t left;
};

static uint64_t take(struct reader *r, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++) {
        uint8_t b = 0;
        if (r->left) {
            b = *r->p++;
            r->left--;
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void check_query(const sla_calendar *cal, struct reader *r)
{
    uint64_t raw = take(r, 6);
    int64_t from = (raw >> 47) ? (int64_t)(raw << 16) >> 8 /* far, possibly negative */
                               : FROM_BASE + (int64_t)(raw % (uint64_t)FROM_SPAN);
    int64_t x = (int64_t)(take(r, 4) % (uint64_t)X_MAX);
    int64_t y = (int64_t)(take(r, 4) % (uint64_t)X_MAX);
    int days = (int)(take(r, 1) % 12);
    int rings = (int)(take(r, 1) % 8);
    int64_t ring_ms = (int64_t)(take(r, 1) % 61) * 1000;
    int far = (raw >> 47) != 0;

    int64_t a = sla_calendar_add_ms(cal, from, x);
    int64_t b = sla_calendar_add_ms(cal, from, y);
    if (far) {
        /* Outside any sane range only "answers, does not crash" holds;
         * elapsed is still bounded by the wall-clock span. */
        int64_t e = sla_calendar_elapsed(cal, from, from + X_MAX);
        REQUIRE(e >= 0 && e <= X_MAX);
        (void)a;
        (void)b;
        return;
    }
    if (a != NEVER) {
        REQUIRE(a >= from);
        REQUIRE(sla_calendar_elapsed(cal, from, a) == x);
        if (x > 0)
            REQUIRE(sla_calendar_elapsed(cal, from, a - 1) == x - 1);
    }
    if (x <= y)
        REQUIRE(a <= b);
    else
        REQUIRE(b <= a);

    int64_t z = sla_calendar_add_ms(cal, from, 0);
    if (sla_calendar_is_working(cal, from))
        REQUIRE(z == from);
    else if (z != NEVER)
        REQUIRE(z > from && sla_calendar_is_working(cal, z) &&
                sla_calendar_elapsed(cal, from, z) == 0);

    /* additivity over a split point, bounded by wall time */
    int64_t c = from + x + y, mid = from + x;
    int64_t e1 = sla_calendar_elapsed(cal, from, mid), e2 = sla_calendar_elapsed(cal, mid, c);
    int64_t e = sla_calendar_elapsed(cal, from, c);
    REQUIRE(e1 >= 0 && e2 >= 0 && e1 + e2 == e && e <= c - from);
    REQUIRE(sla_calendar_elapsed(cal, c, from) == 0 || c == from);
    REQUIRE(sla_calendar_elapsed(cal, mid, mid + 1) == sla_calendar_is_working(cal, mid));

    sla_span plain = {x, 0, rings};
    int64_t d0 = sla_calendar_deadline(cal, from, &plain, ring_ms);
    REQUIRE(d0 == sla_calendar_add_ms(cal, from, x + rings * ring_ms));

    sla_span sd = {0, days, 0}, sd1 = {0, days + 1, 0};
    int64_t dd = sla_calendar_deadline(cal, from, &sd, 0);
    int64_t dd1 = sla_calendar_deadline(cal, from, &sd1, 0);
    if (dd != NEVER)
        REQUIRE(dd >= from);
    REQUIRE(dd <= dd1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size};
    char err[256];
    const char *tz = zones[take(&r, 1) % NZONES];
    sla_calendar *cal = sla_calendar_new(tz, err, sizeof err);
    if (!cal) {
        REQUIRE(strnlen(err, sizeof err) > 0 && strnlen(err, sizeof err) < sizeof err);
        return 0;
    }
    REQUIRE(strcmp(sla_calendar_timezone(cal), tz) == 0);

    int extra = (int)take(&r, 1);
    if (extra < 7)
        sla_calendar_set_extra_day_hours(cal, extra);
    int nranges = (int)(take(&r, 1) % 24);
    for (int i = 0; i < nranges; i++) {
        int wd = (int)(take(&r, 1) % 9);
        int start = (int)(take(&r, 2) % 1500), end = (int)(take(&r, 2) % 1500);
        int rc = sla_calendar_add_hours(cal, wd, start, end);
        int valid = wd <= 6 && start >= 0 && end <= 1440 && start < end;
        if (!valid)
            REQUIRE(rc == -1);
    }
    for (int kind = 0; kind < 2; kind++) {
        int n = (int)(take(&r, 1) % 16);
        for (int i = 0; i < n; i++) {
            int year = 2005 + (int)(take(&r, 1) % 40);
            int month = (int)(take(&r, 1) % 14), day = (int)(take(&r, 1) % 33);
            int rc = kind ? sla_calendar_add_workday(cal, year, month, day)
                          : sla_calendar_add_holiday(cal, year, month, day);
            if (month < 1 || month > 12 || day < 1)
                REQUIRE(rc == -1);
        }
    }

    /* Before finish: the documented neutral answers. */
    REQUIRE(sla_calendar_is_working(cal, FROM_BASE) == 0);
    REQUIRE(sla_calendar_elapsed(cal, FROM_BASE, FROM_BASE + DAY_MS) == 0);
    REQUIRE(sla_calendar_add_ms(cal, FROM_BASE, 1000) == NEVER);

    if (sla_calendar_finish(cal, err, sizeof err) < 0) {
        REQUIRE(strnlen(err, sizeof err) > 0 && strnlen(err, sizeof err) < sizeof err);
        sla_calendar_free(cal);
        return 0;
    }
    REQUIRE(sla_calendar_add_hours(cal, 1, 0, 60) == -1); /* finished */

    for (int q = 0; q < 8 && (q == 0 || r.left > 0); q++)
        check_query(cal, &r);
    sla_calendar_free(cal);
    return 0;
}
