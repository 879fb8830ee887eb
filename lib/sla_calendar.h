/*
 * sla_calendar — business-time arithmetic in an IANA time zone.
 *
 * A calendar has a time zone, working ranges per weekday (several a day,
 * local wall-clock minutes), holidays (local dates with no working time)
 * and extra working days (local dates, usually weekend days worked in
 * exchange for a holiday, that use the hours of `extra_day_hours_from`,
 * Monday by default). UTC offsets come from the system time-zone database
 * (/usr/share/zoneinfo through libc), never from tables of our own, so
 * daylight-saving changes are followed: a working range is local wall time
 * on each date, and a day with a DST jump has correspondingly more or less
 * business time.
 *
 * All times are ms since the Unix epoch (UTC). Functions never allocate
 * after sla_calendar_finish() and are safe to call from the engine's hot
 * path.
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

/* weekday 0 = Sunday .. 6 = Saturday; minutes 0..1440, start < end. */
int sla_calendar_add_hours(sla_calendar *cal, int weekday, int start_min, int end_min);
int sla_calendar_add_holiday(sla_calendar *cal, int year, int month, int day);
int sla_calendar_add_workday(sla_calendar *cal, int year, int month, int day);
/* Which weekday's hours an extra working day uses (default 1, Monday). */
void sla_calendar_set_extra_day_hours(sla_calendar *cal, int weekday);
/*
 * Validate and index. Must be called once after the add_* calls and before
 * any arithmetic. Returns -1 with err when the calendar has no working time.
 */
int sla_calendar_finish(sla_calendar *cal, char *err, size_t errlen);

const char *sla_calendar_timezone(const sla_calendar *cal);

/* 1 when the instant t is inside working time. */
int sla_calendar_is_working(const sla_calendar *cal, int64_t t);

/*
 * Business time between from and to (0 when to <= from): how many ms of
 * working time lie in [from, to).
 */
int64_t sla_calendar_elapsed(const sla_calendar *cal, int64_t from, int64_t to);

/*
 * The instant when `business_ms` of working time have passed after from.
 * business_ms == 0 returns from itself when from is in working time, else
 * the start of the next working range.
 */
int64_t sla_calendar_add_ms(const sla_calendar *cal, int64_t from, int64_t business_ms);

/*
 * The deadline of span s started at from: first `days` business days (the
 * same business-time position that many business days later, clamped to
 * the end of a shorter day; a start outside working time counts from the
 * start of the next working range), then s->ms of business time. Rings must
 * have been converted by the caller (ring_ms) into ms.
 */
int64_t sla_calendar_deadline(const sla_calendar *cal, int64_t from, const sla_span *s,
                              int64_t ring_ms);

#endif
