/*
 * sla_calendar — business-time arithmetic in an IANA time zone.
 *
 * A calendar has a time zone, working ranges per weekday (several a day,
 * local wall-clock minutes), holidays (local dates with no working time)
 * and extra working days (local dates, usually weekend days worked in
 * exchange for a holiday, that use the hours of `extra_day_hours_from`,
 * Monday by default). UTC offsets come from the system time-zone database
 * (the TZif file under /usr/share/zoneinfo, or $TZDIR as libc does, read
 * once by sla_calendar_new, with the zone's POSIX rule for the years after
 * its last listed change), never from tables of our own, so daylight-saving
 * changes are followed.
 *
 * What counts as working time: an instant is working when the local wall
 * clock at that instant shows a time inside a working range of the local
 * date it shows. Consequences on the days the clocks change:
 *   - spring forward: wall times that do not exist are not worked; a range
 *     09:00-18:00 on a day that skips 02:00-03:00 still has 9 h, a range
 *     01:00-04:00 on that day has 2 h, a range inside the gap has none;
 *   - fall back: wall times that happen twice are worked twice; a range
 *     01:00-04:00 on a day that repeats 02:00-03:00 has 4 h.
 * A day with a DST jump inside its ranges therefore has correspondingly
 * more or less business time. Ranges are kept as written; ranges that cross
 * midnight must be split by the caller.
 *
 * Search horizon: a result more than about 10 years of calendar time after
 * its start (a calendar whose dates are all holidays, say) is reported as
 * INT64_MAX ("never").
 *
 * All times are ms since the Unix epoch (UTC). Functions never allocate
 * after sla_calendar_finish(), touch no global state (the TZ environment
 * variable is neither read nor changed) and are safe to call from the
 * engine's hot path; a finished calendar may be shared by threads for
 * reading.
 */
#ifndef SLA_CALENDAR_H
#define SLA_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "sla_duration.h"

typedef struct sla_calendar sla_calendar;

/*
 * A new empty calendar in zone tz ("Europe/Berlin", "UTC"). Returns NULL and
 * a reason in err when the zone is not in the system database. The caller
 * owns the result and frees it with sla_calendar_free().
 */
sla_calendar *sla_calendar_new(const char *tz, char *err, size_t errlen);
void sla_calendar_free(sla_calendar *cal);

/*
 * Working range [start_min, end_min) of local wall time on a weekday
 * (0 = Sunday .. 6 = Saturday); minutes 0..1440, start < end. Ranges of one
 * weekday that overlap or touch are merged. Returns 0, or -1 for bad
 * arguments, more than SLA_CALENDAR_MAX_RANGES separate ranges in a day, or
 * a calendar already finished.
 */
#define SLA_CALENDAR_MAX_RANGES 32
int sla_calendar_add_hours(sla_calendar *cal, int weekday, int start_min, int end_min);
/*
 * A holiday / an extra working day on a local date (years 1970..9999).
 * Returns 0, or -1 for an invalid date or a finished calendar. A date given
 * as both is reported by sla_calendar_finish().
 */
int sla_calendar_add_holiday(sla_calendar *cal, int year, int month, int day);
int sla_calendar_add_workday(sla_calendar *cal, int year, int month, int day);
/* Which weekday's hours an extra working day uses (default 1, Monday);
 * values outside 0..6 are ignored. */
void sla_calendar_set_extra_day_hours(sla_calendar *cal, int weekday);
/*
 * Validate and index. Must be called once after the add_* calls and before
 * any arithmetic (until then is_working returns 0, elapsed 0 and the
 * instant functions INT64_MAX). Returns -1 with err when the week has no
 * working time, when a date is both a holiday and an extra working day, or
 * when there are extra working days but the weekday whose hours they use
 * has none.
 */
int sla_calendar_finish(sla_calendar *cal, char *err, size_t errlen);

const char *sla_calendar_timezone(const sla_calendar *cal);

/*
 * The zone's offset from UTC at instant t, in ms (local = t + offset).
 * Needs only sla_calendar_new(): a calendar without hours serves as a
 * plain time zone for showing times to people.
 */
int64_t sla_calendar_utc_offset(const sla_calendar *cal, int64_t t);

/*
 * The local date of instant t in the calendar's zone, as days since
 * 1970-01-01. Needs only the zone: usable before sla_calendar_finish (a
 * calendar without hours is a time zone, as the reports use it).
 */
int64_t sla_calendar_local_day(const sla_calendar *cal, int64_t t);

/* 1 when the instant t is inside working time. */
int sla_calendar_is_working(const sla_calendar *cal, int64_t t);

/*
 * Business time between from and to (0 when to <= from): how many ms of
 * working time lie in [from, to).
 */
int64_t sla_calendar_elapsed(const sla_calendar *cal, int64_t from, int64_t to);

/*
 * The instant when `business_ms` of working time have passed after from:
 * the earliest t with sla_calendar_elapsed(from, t) == business_ms, so a
 * result that falls on the end of a range is that end, not the start of the
 * next range. business_ms == 0 (or negative) returns from itself when from
 * is in working time, else the start of the next working range.
 */
int64_t sla_calendar_add_ms(const sla_calendar *cal, int64_t from, int64_t business_ms);

/*
 * The deadline of span s started at from. Without days it is
 * sla_calendar_add_ms(from, s->ms + s->rings * ring_ms). With days: a start
 * outside working time first moves to the start of the next working range;
 * its position is the business time already worked on its local date; the
 * result is the working instant at that same position on the date `days`
 * business days later (a business day is a date with working time), or the
 * end of that date's last range when that day is shorter; then s->ms (plus
 * rings * ring_ms) of business time is added as by sla_calendar_add_ms, so
 * "1d" from Monday 14:00 is Tuesday 14:00 and "1d" from Monday 13:00 after a
 * 12:00-13:00 break is Tuesday 13:00. Cost grows with `days`.
 */
int64_t sla_calendar_deadline(const sla_calendar *cal, int64_t from, const sla_span *s,
                              int64_t ring_ms);

#endif
