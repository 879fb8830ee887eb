/*
 * fuzz_config — sla_config_load on arbitrary configuration files.
 *
 * The input is written as the main file "slad.conf" of a fresh temporary
 * directory, loaded, and the directory removed again, so no state survives
 * a call. Inputs whose @include climbs out of that directory ("..") are
 * skipped: libconfig would read whatever they name (/dev/zero never ends),
 * which tests the machine, not the loader. Secret files may name any path;
 * the loader only reads regular files and at most 4 KiB of them.
 *
 * Beyond "does not crash or leak" (see the libconfig exception below), the target checks what the loader
 * promises: success and the output agree; an error is one non-empty line
 * that starts with a file name and a line number; a loaded configuration
 * keeps its invariants (indices in range, ladders in order, warnings with
 * someone to tell, at most SLA_MAX_POLICIES policies).
 */
#include "fuzz.h"
#include "sla_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

/*
 * libconfig 1.5 itself leaks the string token of some syntax errors (the
 * whole input '""' is enough). Leak reports with a libconfig frame are not
 * ours; allocations of the loader never have one in their stack.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libconfig.so\n";
}

static int climbs_out(const uint8_t *data, size_t size)
{
    static const char inc[] = "@include";
    int include = 0, dotdot = 0;
    for (size_t i = 0; i + 1 < size; i++) {
        if (data[i] == '.' && data[i + 1] == '.')
            dotdot = 1;
        if (i + sizeof inc - 1 <= size && memcmp(data + i, inc, sizeof inc - 1) == 0)
            include = 1;
    }
    return include && dotdot;
}

static void check_error(const char *err, const char *path)
{
    size_t n = strlen(err);
    REQUIRE(n > 0);
    for (size_t i = 0; i < n; i++)
        REQUIRE((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
    /* "FILE:LINE: ..." or, for the main file itself, "PATH: reason" */
    const char *colon = strchr(err, ':');
    REQUIRE(colon && colon > err);
    if (strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':' &&
        err[strlen(path) + 1] == ' ')
        return;
    REQUIRE(colon[1] >= '0' && colon[1] <= '9');
}

static void check_receivers(const sla_config *c, const int *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        REQUIRE(idx[i] >= 0 && (size_t)idx[i] < c->nreceivers);
}

static void check_config(const sla_config *c)
{
    REQUIRE(c->path && c->redis.host && c->stream.prefix && c->stream.group &&
            c->stream.consumer && c->control_socket && c->http_listen);
    REQUIRE(c->redis.port >= 1 && c->redis.port <= 65535);
    REQUIRE(c->stream.batch >= 1 && c->stream.batch <= 10000);
    REQUIRE(c->ring_ms >= 1000 && c->ring_ms <= 60000);
    REQUIRE(c->stream.limits.max_value_bytes <= c->stream.limits.max_entry_bytes);
    REQUIRE(c->npolicies <= SLA_MAX_POLICIES);
    for (size_t i = 0; i < c->ncalendars; i++)
        REQUIRE(c->calendar_names[i] && c->calendars[i]);
    for (size_t i = 0; i < c->nreceivers; i++) {
        const sla_receiver *r = &c->receivers[i];
        REQUIRE(r->name && r->url && sla_format_name(r->format));
        REQUIRE(r->rate_per_second >= 0 && r->rate_per_minute >= 0);
        REQUIRE(r->secret == NULL || r->secret[0] != '\0');
        REQUIRE(sla_config_receiver_index(c, r->name) == (int)i);
    }
    for (size_t i = 0; i < c->npolicies; i++) {
        const sla_policy *p = &c->policies[i];
        int any = 0;
        REQUIRE(p->name);
        for (size_t j = 0; j < p->nmatch; j++)
            REQUIRE(p->match[j].field &&
                    (p->match[j].op != SLA_MATCH_EQUAL || p->match[j].nvalues > 0));
        for (int m = 0; m < SLA_METRIC_COUNT; m++) {
            const sla_target *t = &p->metrics[m];
            if (!t->defined)
                continue;
            any = 1;
            REQUIRE(m == SLA_METRIC_CALLBACK || !sla_span_is_zero(&t->target));
            REQUIRE(m == SLA_METRIC_PICKUP || t->target.rings == 0);
            REQUIRE(t->calendar >= -1 && t->calendar < (int)c->ncalendars);
            REQUIRE(t->warn_percent >= 0 && t->warn_percent <= 99);
            int warns = t->warn_percent || !sla_span_is_zero(&t->warn_before);
            REQUIRE(warns == (t->nwarn_notify > 0));
            check_receivers(c, t->warn_notify, t->nwarn_notify);
            int64_t prev = 0;
            for (size_t s = 0; s < t->nsteps; s++) {
                const sla_step *st = &t->steps[s];
                int64_t after = sla_span_plain_ms(&st->after, c->ring_ms);
                REQUIRE(after >= prev);
                prev = after;
                REQUIRE(st->nnotify > 0);
                check_receivers(c, st->notify, st->nnotify);
                REQUIRE(sla_span_is_zero(&st->repeat) || s + 1 == t->nsteps);
            }
        }
        REQUIRE(any);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (climbs_out(data, size))
        return 0;
    char dir[] = "/tmp/fuzz-config-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    char path[64];
    snprintf(path, sizeof path, "%s/slad.conf", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, size, f);
        fclose(f);

        char err[512];
        sla_config *cfg = (sla_config *)&err; /* must be overwritten */
        int rc = sla_config_load(path, &cfg, err, sizeof err);
        REQUIRE(rc == 0 || rc == -1);
        REQUIRE((rc == 0) == (cfg != NULL));
        if (rc == 0)
            check_config(cfg);
        else
            check_error(err, path);
        sla_config_free(cfg);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}
