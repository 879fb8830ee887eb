/*
 * sla_log — stderr logging with syslog priority prefixes. See sla_log.h.
 *
 * The whole line is formatted into one buffer and written with a single
 * write(2) so that lines from a crash-looping daemon never interleave.
 * Control characters in the message are replaced by '?' so that a hostile
 * ticket id cannot forge log lines.
 */
#include "sla_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_level = LOG_INFO;

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
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
