/*
 * sla_reportview — a report's rows as the answer slad gives (JSON) and as
 * the text slactl prints (table or CSV), and two reports side by side.
 *
 * One code path for everyone who shows a report: the daemon answers
 * `slactl report` with sla_report_answer(), slactl prints it with
 * sla_report_render(), and `slad --replay` prints the replayed and the
 * live reports with the same two, so the tables cannot drift apart.
 *
 * The answer (SPEC of the control socket, `report`):
 *   { from, to, timezone, by, metric, rows: [ {metric, group, ended, met,
 *     late, stopped, breached, breaches, achievement, median_ms, p90_ms,
 *     csat_n, csat_avg} ... ], more, truncated }
 * At most SLA_REPORT_MAX_ROWS rows are given (a screenful is far fewer;
 * a thousand is what a spreadsheet still takes in at a glance), the first
 * in (metric, group) order, and no more than SLA_REPORT_ROWS_BYTES of
 * them in compact JSON, so the answer stays under the control protocol's
 * 1 MiB whatever the groups hold (a row of slad's own counters is under
 * 1 KiB: a group of at most SLA_REPORT_VALUE_MAX bytes, 6 each escaped,
 * and 13 numbers; the byte budget also holds day hashes written by
 * others). `more` counts the rows left out, `truncated` says there were
 * some.
 *
 * Pure: no I/O. Ownership: answers are new references; rendered text is
 * the caller's to free().
 */
#ifndef SLA_REPORTVIEW_H
#define SLA_REPORTVIEW_H

#include <stdint.h>

#include <jansson.h>

#include "sla_config.h"
#include "sla_report.h"

#define SLA_REPORT_MAX_ROWS 1000
#define SLA_REPORT_ROWS_BYTES (960u * 1024u)

/*
 * The answer for the sorted rows of q (sla_report_query_sort done here)
 * over local days from..to, rows per `by` ("policy" or a dimension), of
 * `metric` (-1: all), days in zone `timezone`. NULL out of memory.
 */
json_t *sla_report_answer(sla_report_query *q, int64_t from, int64_t to, const char *by,
                          int metric, const char *timezone);

/*
 * The answer as slactl prints it: a heading line and the table (or "no
 * clock ended in this range"), and a line saying how many rows were left
 * out; with csv, RFC 4180 lines with a header and no note (the caller
 * tells the rows left out apart). NULL out of memory.
 */
char *sla_report_render(const json_t *answer, int csv);

/*
 * What changed from `live` to `replayed` (two answers over the same days):
 * one line per row of either, "<metric> <group>: N more breaches (or
 * fewer, or the same), achievement A % -> B %". NULL out of memory.
 */
char *sla_report_render_diff(const json_t *live, const json_t *replayed);

/*
 * The targets that differ from `live` to `replayed`, one line each, in the
 * order of replayed's policies, then live's policies it does not have:
 * "<policy> <metric>: target 20s instead of 30s", "...: target 20s, not
 * set live", "...: not set, 30s live", "<policy>: not in the live
 * configuration", "<policy>: not in the replay". "" when every target is
 * the same; NULL out of memory.
 */
char *sla_report_render_targets(const sla_config *live, const sla_config *replayed);

#endif
