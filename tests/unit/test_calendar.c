/*
 * test_calendar — business-time arithmetic (lib/sla_calendar).
 *
 * Fixed cases state the expected UTC instants by hand. The property test
 * checks add_ms, elapsed and is_working against a minute-by-minute
 * reference built from libc's localtime_r() with TZ set explicitly, an
 * oracle independent of the calendar's own reading of the zone files. TZ is
 * restored afterwards, and no result depends on the machine's own zone.
 */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "sla_calendar.h"
#include "sla_timefmt.h"

#define MIN_MS 60000LL
#define H_MS (60 * MIN_MS)
#define DAY_MS (24 * H_MS)

enum { SUN, MON, TUE, WED, THU, FRI, SAT };

/* UTC instant of a wall time at a fixed offset (hours east of UTC). */
static int64_t at(int y, int mo, int d, int h, int mi, int off_h)
{
    return sla_days_from_civil(y, mo, d) * DAY_MS + (h - off_h) * H_MS + mi * MIN_MS;
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return at(y, mo, d, h, mi, 0);
}

/* Prints a mismatch as readable times. */
static int same_instant(int64_t got, int64_t want, const char *what)
{
    if (got == want)
        return 1;
    char g[40], w[40];
    sla_time_format(got, g, sizeof g);
    sla_time_format(want, w, sizeof w);
    fprintf(stderr, "  %s: got %s, want %s\n", what, got == INT64_MAX ? "never" : g, w);
    return 0;
}

/* Mon-Fri 09:00-18:00 in zone tz, finished. */
static sla_calendar *office(const char *tz)
{
    char err[256];
    sla_calendar *c = sla_calendar_new(tz, err, sizeof err);
    if (!c) {
        fprintf(stderr, "  calendar %s: %s\n", tz, err);
        return NULL;
    }
    for (int wd = MON; wd <= FRI; wd++)
        sla_calendar_add_hours(c, wd, 9 * 60, 18 * 60);
    return c;
}

static int finish(sla_calendar *c)
{
    char err[256];
    if (sla_calendar_finish(c, err, sizeof err) < 0) {
        fprintf(stderr, "  finish: %s\n", err);
        return -1;
    }
    return 0;
}

static void test_zone_names(void)
{
    char err[256] = "";
    CHECK(sla_calendar_new("Mars/Olympus_Mons", err, sizeof err) == NULL);
    CHECK(strstr(err, "unknown time zone") != NULL);
    CHECK(sla_calendar_new("", err, sizeof err) == NULL);
    CHECK(sla_calendar_new(NULL, err, sizeof err) == NULL);
    CHECK(sla_calendar_new("../../etc/passwd", err, sizeof err) == NULL);
    CHECK(strstr(err, "invalid time zone name") != NULL);
    CHECK(sla_calendar_new("/etc/localtime", err, sizeof err) == NULL);
    CHECK(sla_calendar_new("Europe/Berlin ", err, sizeof err) == NULL);
    CHECK(sla_calendar_new("America", err, sizeof err) == NULL); /* a directory */
    sla_calendar *c = sla_calendar_new("Europe/Berlin", err, sizeof err);
    CHECK(c != NULL);
    if (c)
        CHECK_STR(sla_calendar_timezone(c), "Europe/Berlin");
    sla_calendar_free(c);
    sla_calendar_free(NULL);
}

static void test_building(void)
{
    char err[256] = "";
    sla_calendar *c = sla_calendar_new("UTC", err, sizeof err);
    if (!c) {
        CHECK(c != NULL);
        return;
    }
    CHECK_INT(sla_calendar_add_hours(c, -1, 0, 60), -1);
    CHECK_INT(sla_calendar_add_hours(c, 7, 0, 60), -1);
    CHECK_INT(sla_calendar_add_hours(c, MON, 60, 60), -1);
    CHECK_INT(sla_calendar_add_hours(c, MON, 120, 60), -1);
    CHECK_INT(sla_calendar_add_hours(c, MON, -1, 60), -1);
    CHECK_INT(sla_calendar_add_hours(c, MON, 0, 1441), -1);
    CHECK_INT(sla_calendar_add_holiday(c, 2023, 2, 29), -1);
    CHECK_INT(sla_calendar_add_holiday(c, 2026, 13, 1), -1);
    CHECK_INT(sla_calendar_add_holiday(c, 1969, 12, 31), -1);
    CHECK_INT(sla_calendar_add_workday(c, 2026, 4, 31), -1);
    CHECK_INT(sla_calendar_add_holiday(c, 2024, 2, 29), 0);
    /* Nothing to do in an unfinished calendar. */
    CHECK_INT(sla_calendar_add_ms(c, 0, 0), INT64_MAX);
    CHECK_INT(sla_calendar_elapsed(c, 0, DAY_MS), 0);

    /* No hours at all. */
    CHECK_INT(sla_calendar_finish(c, err, sizeof err), -1);
    CHECK(strstr(err, "no working hours") != NULL);

    /* 33 separate ranges in a day are one too many. */
    int rc = 0;
    for (int i = 0; i < SLA_CALENDAR_MAX_RANGES; i++)
        rc |= sla_calendar_add_hours(c, TUE, i * 40, i * 40 + 20);
    CHECK_INT(rc, 0);
    CHECK_INT(sla_calendar_add_hours(c, TUE, 1400, 1410), -1);
    /* ...but one that merges with existing ranges still fits. */
    CHECK_INT(sla_calendar_add_hours(c, TUE, 10, 50), 0);

    /* A date both holiday and workday. */
    CHECK_INT(sla_calendar_add_workday(c, 2024, 2, 29), 0);
    CHECK_INT(sla_calendar_finish(c, err, sizeof err), -1);
    CHECK(strstr(err, "2024-02-29 is both") != NULL);
    sla_calendar_free(c);

    /* Extra days need hours on the weekday they borrow. */
    c = office("UTC");
    if (!c)
        return;
    sla_calendar_set_extra_day_hours(c, SUN);
    sla_calendar_add_workday(c, 2026, 3, 7);
    CHECK_INT(sla_calendar_finish(c, err, sizeof err), -1);
    CHECK(strstr(err, "Sunday") != NULL);
    sla_calendar_set_extra_day_hours(c, 9); /* ignored */
    sla_calendar_set_extra_day_hours(c, SAT);
    CHECK_INT(sla_calendar_finish(c, err, sizeof err), -1);
    sla_calendar_set_extra_day_hours(c, MON);
    CHECK_INT(sla_calendar_finish(c, err, sizeof err), 0);
    CHECK_INT(sla_calendar_finish(c, err, sizeof err), -1);
    CHECK_INT(sla_calendar_add_hours(c, SAT, 0, 60), -1); /* frozen */
    CHECK_INT(sla_calendar_add_holiday(c, 2026, 3, 3), -1);
    sla_calendar_free(c);
}

/* Week of Monday 2026-03-02, UTC, Mon-Fri 09:00-18:00. */
static void test_utc_office(void)
{
    sla_calendar *c = office("UTC");
    if (!c || finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    /* same day */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 10, 0), 2 * H_MS),
                       utc(2026, 3, 2, 12, 0), "same day"));
    /* overnight: Mon 17:00 + 2h -> Tue 10:00 */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 17, 0), 2 * H_MS),
                       utc(2026, 3, 3, 10, 0), "overnight"));
    /* weekend skip: Fri 17:00 + 2h -> Mon 10:00 */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 6, 17, 0), 2 * H_MS),
                       utc(2026, 3, 9, 10, 0), "weekend"));
    /* ending exactly at a range end gives that end */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 16, 0), 2 * H_MS),
                       utc(2026, 3, 2, 18, 0), "range end"));
    /* zero: itself when working, else the next start */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 10, 0), 0), utc(2026, 3, 2, 10, 0),
                       "zero inside"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 18, 0), 0), utc(2026, 3, 3, 9, 0),
                       "zero at end"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 7, 12, 0), 0), utc(2026, 3, 9, 9, 0),
                       "zero on Saturday"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 7, 12, 0), -5), utc(2026, 3, 9, 9, 0),
                       "negative as zero"));
    /* a start before hours */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 3, 0), 30 * MIN_MS),
                       utc(2026, 3, 2, 9, 30), "early start"));
    /* several weeks: 100 business hours from Mon 09:00 = 2 weeks (90h) + 10h */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 9, 0), 100 * H_MS),
                       utc(2026, 3, 17, 10, 0), "100h"));
    /* exactly one business week lands on the Friday evening */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 9, 0), 45 * H_MS),
                       utc(2026, 3, 6, 18, 0), "45h"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 1, 12, 0), 45 * H_MS),
                       utc(2026, 3, 6, 18, 0), "45h from Sunday"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 1, 12, 0), 90 * H_MS),
                       utc(2026, 3, 13, 18, 0), "90h from Sunday"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 1, 12, 0), 0), utc(2026, 3, 2, 9, 0),
                       "0 from Sunday"));

    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 2, 9, 0)), 1);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 2, 9, 0) - 1), 0);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 2, 18, 0) - 1), 1);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 2, 18, 0)), 0);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 7, 12, 0)), 0);

    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 6, 17, 0), utc(2026, 3, 9, 10, 0)), 2 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 0, 0), utc(2026, 3, 9, 0, 0)), 45 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 0, 0), utc(2027, 3, 1, 0, 0)),
              52 * 45 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 12, 0)), 0);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 11, 0)), 0);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 12, 0) + 1), 1);
    /* huge ranges neither overflow nor take long */
    CHECK(sla_calendar_elapsed(c, INT64_MIN, INT64_MAX) > 0);
    CHECK_INT(sla_calendar_add_ms(c, INT64_MAX, 1), INT64_MAX);
    /* beyond the search horizon */
    CHECK_INT(sla_calendar_add_ms(c, utc(2026, 3, 2, 9, 0), 20LL * 366 * DAY_MS), INT64_MAX);
    sla_calendar_free(c);
}

static void test_holiday_and_extra_day(void)
{
    sla_calendar *c = office("UTC");
    if (!c)
        return;
    CHECK_INT(sla_calendar_add_holiday(c, 2026, 3, 3), 0); /* Tuesday */
    CHECK_INT(sla_calendar_add_holiday(c, 2026, 3, 3), 0); /* twice is harmless */
    CHECK_INT(sla_calendar_add_workday(c, 2026, 3, 7), 0); /* Saturday */
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 17, 0), 2 * H_MS),
                       utc(2026, 3, 4, 10, 0), "over a holiday"));
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 3, 12, 0)), 0);
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 6, 17, 0), 2 * H_MS),
                       utc(2026, 3, 7, 10, 0), "onto a worked Saturday"));
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 7, 9, 0)), 1);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 14, 9, 0)), 0); /* next Saturday */
    /* this week: 4 days + Saturday */
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 0, 0), utc(2026, 3, 9, 0, 0)), 45 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 9, 0, 0), utc(2026, 3, 16, 0, 0)), 45 * H_MS);
    sla_calendar_free(c);

    /* An extra day with Friday's (short) hours. */
    c = office("UTC");
    if (!c)
        return;
    sla_calendar_add_hours(c, FRI, 8 * 60, 12 * 60); /* merges: Fri 08:00-18:00 */
    sla_calendar_set_extra_day_hours(c, FRI);
    sla_calendar_add_workday(c, 2026, 3, 8); /* Sunday */
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 8, 8, 0)), 1);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 8, 8, 0) - 1), 0);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 8, 0, 0), utc(2026, 3, 9, 0, 0)), 10 * H_MS);
    sla_calendar_free(c);
}

static void test_several_ranges(void)
{
    char err[256];
    sla_calendar *c = sla_calendar_new("UTC", err, sizeof err);
    if (!c) {
        CHECK(0);
        return;
    }
    for (int wd = MON; wd <= FRI; wd++) {
        /* written piecemeal, touching and overlapping: 09-12 and 13-18 */
        CHECK_INT(sla_calendar_add_hours(c, wd, 13 * 60, 18 * 60), 0);
        CHECK_INT(sla_calendar_add_hours(c, wd, 10 * 60, 12 * 60), 0);
        CHECK_INT(sla_calendar_add_hours(c, wd, 9 * 60, 10 * 60), 0);
        CHECK_INT(sla_calendar_add_hours(c, wd, 11 * 60, 11 * 60 + 30), 0);
        CHECK_INT(sla_calendar_add_hours(c, wd, 14 * 60, 15 * 60), 0);
    }
    /* around midnight Saturday -> Sunday, 24:00 allowed */
    CHECK_INT(sla_calendar_add_hours(c, SAT, 22 * 60, 1440), 0);
    CHECK_INT(sla_calendar_add_hours(c, SUN, 0, 2 * 60), 0);
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 11, 0), 2 * H_MS),
                       utc(2026, 3, 2, 14, 0), "over lunch"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 11, 0), H_MS),
                       utc(2026, 3, 2, 12, 0), "up to lunch"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 2, 12, 30), 0),
                       utc(2026, 3, 2, 13, 0), "zero in lunch"));
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 2, 12, 30)), 0);
    CHECK_INT(sla_calendar_is_working(c, utc(2026, 3, 2, 11, 15)), 1);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 2, 0, 0), utc(2026, 3, 3, 0, 0)), 8 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 7, 23, 0), utc(2026, 3, 8, 1, 0)), 2 * H_MS);
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 7, 23, 0), 2 * H_MS),
                       utc(2026, 3, 8, 1, 0), "across midnight"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 6, 17, 30), H_MS),
                       utc(2026, 3, 7, 22, 30), "Friday to Saturday night"));
    sla_calendar_free(c);
}

static int64_t deadline(const sla_calendar *c, int64_t from, const char *span)
{
    sla_span s;
    char err[128];
    if (sla_span_parse(span, &s, err, sizeof err) < 0) {
        fprintf(stderr, "  span %s: %s\n", span, err);
        return -1;
    }
    return sla_calendar_deadline(c, from, &s, 5000);
}

static void test_business_days(void)
{
    sla_calendar *c = sla_calendar_new("UTC", NULL, 0);
    if (!c) {
        CHECK(0);
        return;
    }
    for (int wd = MON; wd <= THU; wd++) {
        sla_calendar_add_hours(c, wd, 9 * 60, 12 * 60);
        sla_calendar_add_hours(c, wd, 13 * 60, 18 * 60);
    }
    sla_calendar_add_hours(c, FRI, 9 * 60, 15 * 60); /* short Friday, no lunch */
    sla_calendar_add_holiday(c, 2026, 3, 12);        /* Thursday */
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 14, 0), "3d"), utc(2026, 3, 5, 14, 0),
                       "Mon 14:00 + 3d"));
    CHECK(same_instant(deadline(c, utc(2026, 3, 4, 14, 0), "3d"), utc(2026, 3, 9, 14, 0),
                       "Wed 14:00 + 3d over the weekend"));
    /* Tue 16:00 is position 6 h; Friday has 6 h: its end */
    CHECK(same_instant(deadline(c, utc(2026, 3, 3, 16, 0), "3d"), utc(2026, 3, 6, 15, 0),
                       "clamped to a short Friday"));
    CHECK(same_instant(deadline(c, utc(2026, 3, 3, 17, 0), "3d1h"), utc(2026, 3, 9, 10, 0),
                       "clamped, then one more hour"));
    /* the same position in a day with a different shape: Fri 14:00 is
     * position 5 h, which on Monday is 15:00 (after lunch) */
    CHECK(same_instant(deadline(c, utc(2026, 3, 6, 14, 0), "1d"), utc(2026, 3, 9, 15, 0),
                       "Fri 14:00 + 1d"));
    /* a position that ends the morning is the start of the afternoon */
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 13, 0), "1d"), utc(2026, 3, 3, 13, 0),
                       "Mon 13:00 + 1d"));
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 12, 0), "1d"), utc(2026, 3, 3, 13, 0),
                       "Mon 12:00 (lunch) + 1d"));
    /* outside working time: counts from the next start */
    CHECK(same_instant(deadline(c, utc(2026, 3, 7, 10, 0), "1d"), utc(2026, 3, 10, 9, 0),
                       "Sat + 1d"));
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 18, 0), "1d"), utc(2026, 3, 4, 9, 0),
                       "Mon 18:00 + 1d"));
    /* the holiday is no business day */
    CHECK(same_instant(deadline(c, utc(2026, 3, 10, 10, 0), "2d"), utc(2026, 3, 13, 10, 0),
                       "over a holiday"));
    /* days = 0 is add_ms; rings are ms */
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 17, 0), "2h"), utc(2026, 3, 3, 10, 0),
                       "2h"));
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 17, 59) + 50000, "3 rings"),
                       utc(2026, 3, 3, 9, 0) + 5000, "3 rings"));
    sla_span s = {0, 2, 4};
    CHECK(same_instant(sla_calendar_deadline(c, utc(2026, 3, 2, 10, 0), &s, 1000),
                       utc(2026, 3, 4, 10, 0) + 4000, "2d + 4 rings"));
    CHECK(same_instant(deadline(c, utc(2026, 3, 2, 10, 0), "0s"), utc(2026, 3, 2, 10, 0),
                       "0s"));
    sla_calendar_free(c);
}

/* Europe/Berlin: CET (+1) / CEST (+2); 2026 changes on Sun 29 Mar and
 * Sun 25 Oct at 01:00 UTC. */
static void test_berlin_dst(void)
{
    sla_calendar *c = office("Europe/Berlin");
    if (!c)
        return;
    /* Sunday 01:00-04:00 local: crosses the wall times that are skipped
     * (02:00-03:00 in March) or repeated (02:00-03:00 in October). */
    sla_calendar_add_hours(c, SUN, 60, 240);
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    /* The Monday after the spring change works 09:00-18:00 CEST. */
    CHECK_INT(sla_calendar_is_working(c, at(2026, 3, 30, 9, 0, 2)), 1);
    CHECK_INT(sla_calendar_is_working(c, at(2026, 3, 30, 9, 0, 2) - 1), 0);
    CHECK_INT(sla_calendar_is_working(c, at(2026, 3, 30, 18, 0, 2) - 1), 1);
    CHECK_INT(sla_calendar_is_working(c, at(2026, 3, 30, 18, 0, 2)), 0);
    CHECK(same_instant(sla_calendar_add_ms(c, at(2026, 3, 29, 12, 0, 2), 0),
                       utc(2026, 3, 30, 7, 0), "Monday start after spring change"));
    /* Friday before in CET: 09:00 = 08:00 UTC */
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 27, 6, 0), 0), utc(2026, 3, 27, 8, 0),
                       "Friday start before the change"));
    /* Fri 17:00 CET + 2h -> Sunday 01:00-02:00 CET (1h), then the gap, then
     * 03:00 CEST + 1h = 04:00 CEST */
    CHECK(same_instant(sla_calendar_add_ms(c, at(2026, 3, 27, 17, 0, 1), 2 * H_MS),
                       at(2026, 3, 29, 3, 0, 2), "through the gap"));
    CHECK(same_instant(sla_calendar_add_ms(c, at(2026, 3, 27, 17, 0, 1), 3 * H_MS),
                       at(2026, 3, 29, 4, 0, 2), "the rest of that Sunday"));
    CHECK(same_instant(sla_calendar_add_ms(c, at(2026, 3, 27, 17, 0, 1), 4 * H_MS),
                       at(2026, 3, 30, 10, 0, 2), "to Monday after the gap"));
    /* the spring Sunday has 2 h, an ordinary Sunday 3 h, the autumn one 4 h */
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)),
              2 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 21, 12, 0), utc(2026, 3, 22, 12, 0)),
              3 * H_MS);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)),
              4 * H_MS);
    /* 02:30 local on the autumn Sunday happens twice, and works both times */
    CHECK_INT(sla_calendar_is_working(c, at(2026, 10, 25, 2, 30, 2)), 1);
    CHECK_INT(sla_calendar_is_working(c, at(2026, 10, 25, 2, 30, 1)), 1);
    CHECK_INT(at(2026, 10, 25, 2, 30, 1) - at(2026, 10, 25, 2, 30, 2), H_MS);
    /* elapsed across the switch: Fri 17:00 CET -> Mon 10:00 CEST = 1 + 2 + 1 */
    CHECK_INT(sla_calendar_elapsed(c, at(2026, 3, 27, 17, 0, 1), at(2026, 3, 30, 10, 0, 2)),
              4 * H_MS);
    /* autumn: Fri 17:00 CEST -> Mon 10:00 CET = 1 + 4 + 1 */
    CHECK_INT(sla_calendar_elapsed(c, at(2026, 10, 23, 17, 0, 2), at(2026, 10, 26, 10, 0, 1)),
              6 * H_MS);
    CHECK(same_instant(sla_calendar_add_ms(c, at(2026, 10, 25, 12, 0, 1), 0),
                       utc(2026, 10, 26, 8, 0), "Monday start after autumn change"));
    /* business days across the change keep the local position */
    /* (Sunday works 01:00-04:00 here, so it is a business day: the spring
     * one has 2 h, so position 5 h clamps to its end.) */
    CHECK(same_instant(deadline(c, at(2026, 3, 27, 14, 0, 1), "1d"), at(2026, 3, 29, 4, 0, 2),
                       "Fri 14:00 CET + 1d"));
    CHECK(same_instant(deadline(c, at(2026, 3, 27, 14, 0, 1), "2d"), at(2026, 3, 30, 14, 0, 2),
                       "Fri 14:00 CET + 2d"));
    CHECK(same_instant(deadline(c, at(2026, 10, 23, 14, 0, 2), "2d"), at(2026, 10, 26, 14, 0, 1),
                       "Fri 14:00 CEST + 2d"));
    sla_calendar_free(c);
}

/* A range that lies wholly in the spring gap gives its date no business
 * time, so that date is no business day either. */
static void test_range_in_gap(void)
{
    sla_calendar *c = office("Europe/Berlin");
    if (!c)
        return;
    sla_calendar_add_hours(c, SUN, 2 * 60 + 15, 2 * 60 + 45);
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)), 0);
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 21, 12, 0), utc(2026, 3, 22, 12, 0)),
              30 * MIN_MS);
    CHECK(same_instant(deadline(c, at(2026, 3, 27, 14, 0, 1), "1d"), at(2026, 3, 30, 14, 0, 2),
                       "over a Sunday whose hours do not exist"));
    CHECK(same_instant(deadline(c, at(2026, 3, 20, 14, 0, 1), "1d"), at(2026, 3, 22, 2, 45, 1),
                       "onto an ordinary Sunday, clamped"));
    sla_calendar_free(c);
}

/* America/New_York: EST (-5) / EDT (-4); 2026 changes on Sun 8 Mar 07:00 UTC
 * and Sun 1 Nov 06:00 UTC. */
static void test_new_york_dst(void)
{
    sla_calendar *c = sla_calendar_new("America/New_York", NULL, 0);
    if (!c) {
        CHECK(0);
        return;
    }
    for (int wd = MON; wd <= FRI; wd++)
        sla_calendar_add_hours(c, wd, 9 * 60, 17 * 60);
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 6, 12, 0), 0), utc(2026, 3, 6, 14, 0),
                       "Friday 09:00 EST"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 7, 12, 0), 0), utc(2026, 3, 9, 13, 0),
                       "Monday 09:00 EDT"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 9, 13, 0), 8 * H_MS),
                       utc(2026, 3, 9, 21, 0), "Monday 17:00 EDT"));
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 3, 6, 21, 0), utc(2026, 3, 9, 14, 0)), 2 * H_MS);
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 3, 6, 21, 0), 2 * H_MS),
                       utc(2026, 3, 9, 14, 0), "Fri 16:00 EST + 2h"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 10, 31, 12, 0), 0),
                       utc(2026, 11, 2, 14, 0), "Monday 09:00 EST"));
    CHECK_INT(sla_calendar_elapsed(c, utc(2026, 10, 30, 20, 0), utc(2026, 11, 2, 15, 0)),
              2 * H_MS);
    CHECK(same_instant(deadline(c, at(2026, 10, 30, 10, 0, -4), "1d"), at(2026, 11, 2, 10, 0, -5),
                       "Fri 10:00 EDT + 1d"));
    sla_calendar_free(c);
}

static void test_no_dst_zones(void)
{
    sla_calendar *c = office("Asia/Shanghai");
    if (!c)
        return;
    sla_calendar_add_holiday(c, 2026, 10, 1);
    sla_calendar_add_workday(c, 2026, 9, 26); /* Saturday worked in exchange */
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 7, 5, 12, 0), 0), utc(2026, 7, 6, 1, 0),
                       "Shanghai Monday 09:00"));
    CHECK(same_instant(sla_calendar_add_ms(c, utc(2026, 1, 5, 9, 0), 2 * H_MS),
                       utc(2026, 1, 6, 2, 0), "Shanghai winter, overnight"));
    CHECK_INT(sla_calendar_is_working(c, at(2026, 9, 26, 10, 0, 8)), 1);
    CHECK_INT(sla_calendar_is_working(c, at(2026, 10, 1, 10, 0, 8)), 0);
    CHECK(same_instant(sla_calendar_add_ms(c, at(2026, 9, 30, 17, 0, 8), 2 * H_MS),
                       at(2026, 10, 2, 10, 0, 8), "over the national day"));
    /* A year of an office week, no DST anywhere: 52 weeks + 1 day - 1 holiday + 1 Saturday */
    CHECK_INT(sla_calendar_elapsed(c, at(2026, 1, 1, 0, 0, 8), at(2027, 1, 1, 0, 0, 8)),
              (261 - 1 + 1) * 9 * H_MS);
    sla_calendar_free(c);
}

/* ---- property test against a libc reference ----------------------------- */

struct model {
    int ranges[7][4][2]; /* minutes, up to 4 ranges, end 0 terminates */
    int holidays[4][3];
    int workdays[2][3];
    int extra_from;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int date_in(const int (*list)[3], int n, const struct tm *tm)
{
    for (int i = 0; i < n; i++)
        if (list[i][0] == tm->tm_year + 1900 && list[i][1] == tm->tm_mon + 1 &&
            list[i][2] == tm->tm_mday)
            return 1;
    return 0;
}

/* Does the reference say the minute starting at t is working? */
static int ref_working(const struct model *m, time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    if (date_in(m->holidays, 4, &tm))
        return 0;
    int wd = date_in(m->workdays, 2, &tm) ? m->extra_from : tm.tm_wday;
    int minute = tm.tm_hour * 60 + tm.tm_min;
    for (int i = 0; i < 4 && m->ranges[wd][i][1]; i++)
        if (minute >= m->ranges[wd][i][0] && minute < m->ranges[wd][i][1])
            return 1;
    return 0;
}

static void property(const char *tz, const struct model *m, int64_t w0, int days, int iters)
{
    char err[256];
    sla_calendar *c = sla_calendar_new(tz, err, sizeof err);
    if (!c) {
        CHECK(c != NULL);
        return;
    }
    for (int wd = 0; wd < 7; wd++)
        for (int i = 0; i < 4 && m->ranges[wd][i][1]; i++)
            sla_calendar_add_hours(c, wd, m->ranges[wd][i][0], m->ranges[wd][i][1]);
    for (int i = 0; i < 4; i++)
        sla_calendar_add_holiday(c, m->holidays[i][0], m->holidays[i][1], m->holidays[i][2]);
    for (int i = 0; i < 2; i++)
        sla_calendar_add_workday(c, m->workdays[i][0], m->workdays[i][1], m->workdays[i][2]);
    sla_calendar_set_extra_day_hours(c, m->extra_from);
    if (finish(c) < 0) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }

    /* prefix[k] = working minutes in [w0, w0 + k min) */
    int n = days * 1440;
    int *prefix = malloc(sizeof *prefix * (size_t)(n + 1));
    if (!prefix) {
        CHECK(0);
        sla_calendar_free(c);
        return;
    }
    const char *saved = getenv("TZ");
    char *saved_copy = saved ? strdup(saved) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    prefix[0] = 0;
    for (int k = 0; k < n; k++)
        prefix[k + 1] = prefix[k] + ref_working(m, (time_t)((w0 + k * MIN_MS) / 1000));
    if (saved_copy)
        setenv("TZ", saved_copy, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved_copy);

    int bad_add = 0, bad_elapsed = 0, bad_inverse = 0, bad_working = 0, checked = 0;
    for (int it = 0; it < iters; it++) {
        int a = (int)(rng() % (uint64_t)(n / 2));
        int x = (int)(rng() % 4 == 0 ? 0 : rng() % (uint64_t)(5 * 1440 / 2));
        int64_t from = w0 + a * MIN_MS;

        /* reference add: first minute index k where x minutes are done */
        int k = -1;
        if (x == 0) {
            for (int j = a; j < n; j++)
                if (prefix[j + 1] > prefix[j]) {
                    k = j;
                    break;
                }
        } else {
            for (int j = a + 1; j <= n; j++)
                if (prefix[j] - prefix[a] == x) {
                    k = j;
                    break;
                }
        }
        if (k >= 0) {
            checked++;
            int64_t got = sla_calendar_add_ms(c, from, x * MIN_MS);
            if (!same_instant(got, w0 + k * MIN_MS, tz))
                bad_add++;
            if (sla_calendar_elapsed(c, from, got) != x * MIN_MS)
                bad_inverse++;
        }

        int b = a + (int)(rng() % (uint64_t)(n - a));
        if (sla_calendar_elapsed(c, from, w0 + b * MIN_MS) !=
            (int64_t)(prefix[b] - prefix[a]) * MIN_MS)
            bad_elapsed++;

        int t = (int)(rng() % (uint64_t)n);
        if (sla_calendar_is_working(c, w0 + t * MIN_MS + (int64_t)(rng() % 60000)) !=
            (prefix[t + 1] > prefix[t]))
            bad_working++;

        /* Off the minute grid the inverse must still hold exactly. */
        int64_t f2 = from + (int64_t)(rng() % MIN_MS);
        int64_t x2 = (int64_t)(rng() % (uint64_t)(3 * DAY_MS));
        int64_t r2 = sla_calendar_add_ms(c, f2, x2);
        if (r2 != INT64_MAX && sla_calendar_elapsed(c, f2, r2) != x2)
            bad_inverse++;
    }
    if (bad_add || bad_elapsed || bad_inverse || bad_working)
        fprintf(stderr, "  %s: %d add, %d elapsed, %d inverse, %d working mismatches\n", tz,
                bad_add, bad_elapsed, bad_inverse, bad_working);
    CHECK_INT(bad_add, 0);
    CHECK_INT(bad_elapsed, 0);
    CHECK_INT(bad_inverse, 0);
    CHECK_INT(bad_working, 0);
    CHECK(checked > iters / 2); /* the reference found most answers */
    free(prefix);
    sla_calendar_free(c);
}

static void test_property(void)
{
    struct model office_dst = {
        .ranges =
            {
                [SUN] = {{60, 110}, {150, 240}}, /* around the DST change */
                [MON] = {{8 * 60, 12 * 60}, {13 * 60, 17 * 60 + 30}},
                [TUE] = {{8 * 60, 12 * 60}, {13 * 60, 17 * 60 + 30}},
                [WED] = {{0, 3 * 60}, {8 * 60, 12 * 60}, {20 * 60, 1440}},
                [THU] = {{0, 1440}},
                [FRI] = {{8 * 60, 15 * 60 + 15}},
                [SAT] = {{10 * 60, 14 * 60}},
            },
        .holidays = {{2026, 3, 10}, {2026, 3, 31}, {2026, 10, 29}, {2026, 11, 3}},
        .workdays = {{2026, 3, 15}, {2026, 10, 18}}, /* Sundays */
        .extra_from = MON,
    };
    property("Europe/Berlin", &office_dst, utc(2026, 3, 14, 0, 0), 30, 1500);
    property("Europe/Berlin", &office_dst, utc(2026, 10, 10, 0, 0), 30, 1500);
    property("America/New_York", &office_dst, utc(2026, 2, 25, 0, 0), 30, 1500);
    property("America/New_York", &office_dst, utc(2026, 10, 20, 0, 0), 30, 1500);
    /* New York before 2007 followed other rules: April and October. */
    property("America/New_York", &office_dst, utc(1996, 3, 25, 0, 0), 40, 800);
    property("Asia/Shanghai", &office_dst, utc(2026, 9, 20, 0, 0), 30, 800);
    property("UTC", &office_dst, utc(2026, 10, 10, 0, 0), 30, 800);
    /* Far in the future, where only the zone's rule (the TZif footer)
     * knows the changes. */
    property("Europe/Berlin", &office_dst, utc(2093, 3, 14, 0, 0), 30, 500);
    property("Europe/Berlin", &office_dst, utc(2093, 10, 14, 0, 0), 30, 500);
    /* A southern-hemisphere zone: DST from October to April. */
    property("Australia/Sydney", &office_dst, utc(2026, 3, 25, 0, 0), 30, 500);
    property("Australia/Sydney", &office_dst, utc(2090, 3, 25, 0, 0), 30, 500);
    /* Half-hour offsets, and a DST shift of only 30 minutes. */
    property("Australia/Lord_Howe", &office_dst, utc(2026, 3, 25, 0, 0), 30, 500);
    property("America/St_Johns", &office_dst, utc(2026, 10, 20, 0, 0), 30, 500);
}

int main(void)
{
    /* Nothing here may depend on the zone of the machine running it. */
    test_zone_names();
    test_building();
    test_utc_office();
    test_holiday_and_extra_day();
    test_several_ranges();
    test_business_days();
    test_berlin_dst();
    test_range_in_gap();
    test_new_york_dst();
    test_no_dst_zones();
    test_property();
    return CHECK_DONE();
}
