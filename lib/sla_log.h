/*
 * sla_log — log lines to stderr with syslog priority prefixes.
 *
 * Each line is written as "<N>message\n" with one write(2), N the syslog
 * priority (LOG_ERR = 3 ... LOG_DEBUG = 7), which journald turns into the
 * record's priority. Lines above the configured level are dropped. Secrets
 * must never be passed here.
 *
 * The same line (priority and text) is written at most SLA_LOG_BURST
 * times per SLA_LOG_INTERVAL_MS; the copies held back are counted and
 * written as one "<N>... repeated K times: TEXT" line when the line comes
 * again after its interval, or at the next sla_log_expire() (the daemon
 * calls it every second).
 */
#ifndef SLA_LOG_H
#define SLA_LOG_H

#include <syslog.h>

#define SLA_LOG_BURST 20
#define SLA_LOG_INTERVAL_MS 10000

/* Write the "repeated" lines of intervals that are over. */
void sla_log_expire(void);

/* Lines with a priority numerically greater than level are dropped. */
void sla_log_set_level(int level);
int sla_log_get_level(void);

/* "err", "warning", "notice", "info", "debug" -> LOG_*; -1 when unknown. */
int sla_log_level_from_name(const char *name);

void sla_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sla_err(...) sla_log(LOG_ERR, __VA_ARGS__)
#define sla_warning(...) sla_log(LOG_WARNING, __VA_ARGS__)
#define sla_notice(...) sla_log(LOG_NOTICE, __VA_ARGS__)
#define sla_info(...) sla_log(LOG_INFO, __VA_ARGS__)
#define sla_debug(...) sla_log(LOG_DEBUG, __VA_ARGS__)

#endif
