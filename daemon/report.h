/*
 * report — clock outcomes counted per day in Redis, and read back for
 * `slactl report`.
 *
 * Writing: report_stage() adds, to the store's open MULTI, one HINCRBY per
 * counter the batch's outcomes change (merged, sla_report.h) and one
 * EXPIRE per day hash touched, so an outcome is counted in the very
 * transaction that writes the state recording its end and XACKs its
 * entry: committed together or not at all, never twice.
 *
 * Days are local dates in report.timezone; "" means the system's zone,
 * resolved here once per configuration (TZ, then /etc/localtime, then
 * /etc/timezone, else UTC) and handed to lib/ as a calendar without hours.
 *
 * Reading: report_query() reads one day hash at a time (HGETALL on the
 * command link, the next sent when the last has been folded in), so the
 * loop is held for one day's fields at a time, never for the whole range.
 * With partitions > 1 a day is the sum of every partition's day hash (each
 * partition's commits count its own outcomes): one HGETALL per partition
 * and day, in turn, each of a single key (on a Redis Cluster the
 * partitions' keys live on different nodes), whoever owns the partitions.
 *
 * Ownership: the configuration and keys are borrowed and must outlive
 * report_finish() (or be replaced with report_set_config first).
 */
#ifndef REPORT_H
#define REPORT_H

#include <jansson.h>

#include "redis_link.h"
#include "sla_calendar.h"
#include "sla_config.h"
#include "sla_engine.h"
#include "sla_keys.h"

int report_init(const sla_config *cfg, const sla_keys *keys, redis_link *command);
void report_set_config(const sla_config *cfg);
void report_finish(void);

/* The zone cfg counts days in (report.timezone, else the system's, else
 * UTC), as a new calendar without hours (the caller's to free), its name in
 * name; NULL out of memory. */
sla_calendar *report_zone_new(const sla_config *cfg, char *name, size_t len);

/* The zone days are counted in (its name), for answers and the log. */
const char *report_timezone(void);

typedef int report_send_fn(void *arg, int argc, const char **argv, const size_t *lens);
/* Stage the counters of o's outcomes into the day hashes of keys (a
 * partition's) with send(arg, ...) (inside MULTI). 0 or -1. */
int report_stage(const sla_output *o, const sla_keys *keys, report_send_fn *send, void *arg);

/*
 * Answer a report request (args: from, to "YYYY-MM-DD"; by; metric):
 * done(data, NULL, arg) with a new reference data is given, or done(NULL,
 * why, arg). Always answers, maybe before returning (bad arguments).
 */
typedef void report_done_fn(json_t *data, const char *why, void *arg);
void report_query(const json_t *args, report_done_fn *done, void *arg);

#endif
