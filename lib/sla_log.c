/*
 * sla_log — stderr logging with syslog priority prefixes. See sla_log.h.
 *
 * The whole line is formatted into one buffer and written with a single
 * write(2) so that lines from a crash-looping daemon never interleave.
 * Control characters in the message are replaced by '?' so that a hostile
 * ticket id cannot forge log lines.
 *
 * Every line goes through one sla_lograte table (the same text at most
 * SLA_LOG_BURST times per SLA_LOG_INTERVAL_MS, then one "... repeated K
 * times" line), so that a condition that repeats in a tight loop (a
 * listener out of descriptors, a peer reconnecting at once) cannot fill
 * the disk. The clock is CLOCK_MONOTONIC, read here: this module is the
 * log's edge with the system, like its write(2).
 */
#include "sla_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sla_lograte.h"

static int log_level = LOG_INFO;
static sla_lograte log_rate;
static int log_rate_ready;

static int64_t sla_log_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sla_lograte *sla_log_rate(void)
{
    if (!log_rate_ready) {
        sla_lograte_init(&log_rate, SLA_LOG_BURST, SLA_LOG_INTERVAL_MS);
        log_rate_ready = 1;
    }
    return &log_rate;
}

/* "<N>... repeated K times: TEXT" for copies of "<N>TEXT" held back. */
static void sla_log_on_repeats(const char *text, uint32_t held, void *arg)
{
    char line[SLA_LOGRATE_TEXT + 64];
    const char *end = text[0] == '<' ? strchr(text, '>') : NULL;
    int prio = end ? (int)strtol(text + 1, NULL, 10) : LOG_NOTICE;
    const char *msg = end ? end + 1 : text;
    int n = snprintf(line, sizeof line, "<%d>... repeated %u times: %s%s\n", prio, held, msg,
                     strlen(text) == SLA_LOGRATE_TEXT - 1 ? "..." : "");
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
}

void sla_log_expire(void)
{
    sla_lograte_expire(sla_log_rate(), sla_log_mono_ms(), sla_log_on_repeats, NULL);
}

void sla_log_set_level(int level) { log_level = level; }
int sla_log_get_level(void) { return log_level; }

int sla_log_level_from_name(const char *name)
{
    static const struct { const char *name; int level; } levels[] = {
        {"err", LOG_ERR}, {"error", LOG_ERR}, {"warning", LOG_WARNING},
        {"notice", LOG_NOTICE}, {"info", LOG_INFO}, {"debug", LOG_DEBUG},
    };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(levels[i].name, name) == 0)
            return levels[i].level;
    return -1;
}

void sla_log(int priority, const char *fmt, ...)
{
    if (priority > log_level)
        return;
    char line[2048];
    int n = snprintf(line, sizeof line, "<%d>", priority);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + ((size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m
                                                                       : sizeof line - (size_t)n - 2);
    for (size_t i = (size_t)n; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    if (!sla_lograte_check(sla_log_rate(), line, len, sla_log_mono_ms(), sla_log_on_repeats,
                           NULL))
        return;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
