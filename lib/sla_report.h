/*
 * sla_report — how clock outcomes are counted per day, and read back.
 *
 * Writing. Each outcome (sla_engine.h) adds to counters in the hash of its
 * day, the local date of its end in the report time zone:
 *
 *   key   <prefix>report:<YYYY-MM-DD>
 *   field <metric>|<policy>|<group>|<stat>          value: a count
 *
 * <group> is "" for the policy's total and "<dimension>=<value>" for each
 * configured dimension (report.dimensions), the ticket's value of that
 * field ("" when it has none). <stat> is one of
 *
 *   met late stopped breached   the cycle's outcome (sla_outcome_kind)
 *   h0 .. h15                   a met cycle's time taken, bucket i of
 *                               sla_report_bucket_ms (business time)
 *   csat_n csat_sum             followup.done satisfaction scores
 *
 * Values and policy names have '%' and '|' written as %25 and %7C, and a
 * value is cut to SLA_REPORT_VALUE_MAX bytes (at a UTF-8 boundary), so a
 * field never holds a separator and is at most about 200 bytes. One
 * (metric, policy, group) holds at most 22 fields; a day holds at most
 * metrics x policies x (1 + distinct values of the dimensions) of them.
 *
 * A batch's counters are merged before they are written (sla_report_batch):
 * a thousand replies of one policy and channel make one HINCRBY per
 * field, not a thousand.
 *
 * Reading. sla_report_query folds the fields of day hashes into rows, by
 * policy (the totals) or by one dimension (across policies), per metric,
 * and computes what a report shows: achievement (met on time over the
 * cycles whose promise was decided: met on time, met late, breached; a
 * cycle stopped before its deadline promised nothing that came due and is
 * shown apart), breaches, median and 90th percentile of the time taken
 * (the upper bound of the bucket that holds it), CSAT average and count.
 *
 * Pure: no I/O. Ownership: a batch and a query own their memory; strings
 * they return are theirs until the next call that changes them, or _free.
 */
#ifndef SLA_REPORT_H
#define SLA_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sla_engine.h"

#define SLA_REPORT_BUCKETS 16
#define SLA_REPORT_VALUE_MAX 64
/* The longest field: metric, a name of 64 bytes escaped, a dimension name
 * and a value escaped, a stat, separators. */
#define SLA_REPORT_FIELD_MAX 512

/* Upper bounds of the time-taken buckets, ms; the last is INT64_MAX. */
extern const int64_t sla_report_bucket_ms[SLA_REPORT_BUCKETS];

/* The bucket of a time taken. */
int sla_report_bucket(int64_t taken_ms);

/* Day number (days since 1970-01-01) as "YYYY-MM-DD" (out: 11 bytes), and
 * back: 0, or -1 for a malformed or impossible date. */
void sla_report_day_name(int64_t day, char out[11]);
int sla_report_day_parse(const char *s, int64_t *day);

/* ------------------------------------------------------------- writing -- */

typedef struct sla_report_batch sla_report_batch;

sla_report_batch *sla_report_batch_new(void);
void sla_report_batch_free(sla_report_batch *b);

/*
 * Add the counters of outcome o, which ended on local day `day`, for these
 * dimensions. Returns 0, or -1 out of memory.
 */
int sla_report_batch_add(sla_report_batch *b, const sla_outcome *o, int64_t day,
                         char *const *dims, size_t ndims);

/*
 * The merged counters, sorted by day then field: entry i (0 <= i < n).
 * Returns n; the pointers live until the batch is cleared or freed.
 */
size_t sla_report_batch_entries(sla_report_batch *b);
void sla_report_batch_entry(const sla_report_batch *b, size_t i, int64_t *day, const char **field,
                            size_t *field_len, long long *incr);
void sla_report_batch_clear(sla_report_batch *b);

/* ------------------------------------------------------------- reading -- */

typedef struct sla_report_row {
    int metric;
    const char *group;      /* policy name, or the dimension's value; borrowed */
    int64_t n[4];           /* by sla_outcome_kind: met, late, stopped, breached */
    int64_t hist[SLA_REPORT_BUCKETS];
    int64_t csat_n, csat_sum;
} sla_report_row;

typedef struct sla_report_query sla_report_query;

/*
 * A new query: rows per metric (metric -1: every metric) and per policy
 * (by NULL or "policy") or per value of dimension `by`. NULL on OOM.
 */
sla_report_query *sla_report_query_new(int metric, const char *by);
void sla_report_query_free(sla_report_query *q);

/* Fold one field/value pair of a day hash in. Fields of another layout
 * are ignored. Returns 0, or -1 out of memory. */
int sla_report_query_add(sla_report_query *q, const char *field, size_t field_len,
                         const char *value, size_t value_len);

/* Sort the rows by metric then group and return how many there are (0 also
 * out of memory); row i of them, valid until the next add or sort. */
size_t sla_report_query_sort(sla_report_query *q);
const sla_report_row *sla_report_query_row(const sla_report_query *q, size_t i);

/* Figures of a row. achievement: percent, -1 when nothing was decided;
 * quantile: a bucket's upper bound in ms, -1 when nothing was met,
 * INT64_MAX for the open last bucket. */
double sla_report_achievement(const sla_report_row *r);
int64_t sla_report_quantile(const sla_report_row *r, double q);

#endif
