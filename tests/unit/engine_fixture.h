/*
 * engine_fixture.h — drive a real sla_engine from test code.
 *
 * Configurations are real files parsed by sla_config_load; events are real
 * field lists parsed by sla_event_parse; time is whatever the test says.
 * Decisions are collected into a list the test can search.
 */
#ifndef SLA_TEST_ENGINE_FIXTURE_H
#define SLA_TEST_ENGINE_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sla_config.h"
#include "sla_engine.h"
#include "sla_event.h"
#include "sla_listquery.h"

/* 2026-01-05T00:00:00Z, a Monday. */
#define T0 1767571200000LL
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

typedef struct fixture {
    sla_config *cfg;
    sla_engine *eng;
    sla_output out;   /* everything collected since the last fx_take() */
    uint64_t seq;     /* stream entry sequence for fx_event() */
    char dir[64];
    sla_listquery *list; /* the last fx_list()'s query: its items' ids */
} fixture;

static const char fixture_receivers[] =
    "receivers = ( { name = \"team_lead\"; url = \"http://127.0.0.1:1/a\"; format = \"json\"; },\n"
    "              { name = \"manager\"; url = \"http://127.0.0.1:1/b\"; format = \"json\"; },\n"
    "              { name = \"director\"; url = \"http://127.0.0.1:1/c\"; format = \"json\"; },\n"
    "              { name = \"supervisor\"; url = \"http://127.0.0.1:1/d\"; format = \"json\"; } );\n";

/* Load a configuration from text (receivers above are prepended). */
static inline sla_config *fx_config(const char *text)
{
    char dir[] = "/tmp/sla-engine-test-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/slad.conf", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(fixture_receivers, f);
    fputs(text, f);
    fclose(f);
    sla_config *cfg = NULL;
    char err[512];
    if (sla_config_load(path, &cfg, err, sizeof err) < 0)
        fprintf(stderr, "config error: %s\n", err);
    unlink(path);
    rmdir(dir);
    return cfg;
}

static inline int fx_init(fixture *fx, const char *text, int64_t now)
{
    memset(fx, 0, sizeof *fx);
    fx->cfg = fx_config(text);
    if (!fx->cfg)
        return -1;
    fx->eng = sla_engine_new(fx->cfg, now);
    sla_output_init(&fx->out);
    return fx->eng ? 0 : -1;
}

/* Like fx_init, with a configuration file (e.g. the shipped conf/slad.conf). */
static inline int fx_init_path(fixture *fx, const char *path, int64_t now)
{
    memset(fx, 0, sizeof *fx);
    char err[512];
    if (sla_config_load(path, &fx->cfg, err, sizeof err) < 0) {
        fprintf(stderr, "config error: %s\n", err);
        return -1;
    }
    fx->eng = sla_engine_new(fx->cfg, now);
    sla_output_init(&fx->out);
    return fx->eng ? 0 : -1;
}

static inline void fx_release(fixture *fx)
{
    sla_listquery_free(fx->list);
    fx->list = NULL;
    sla_output_clear(&fx->out);
    sla_engine_free(fx->eng);
    sla_config_free(fx->cfg);
}

/*
 * A due (breached 0) or breached (1) query answered in one call: copies at
 * most max items to out (their ids live until the next fx_list) and
 * returns how many matched in all.
 */
static inline size_t fx_list(fixture *fx, int64_t now, int64_t within, int breached,
                             sla_due_item *out, size_t max)
{
    sla_listquery_free(fx->list);
    fx->list = sla_listquery_new(breached, now, within, max);
    if (fx->list == NULL || sla_engine_list_step(fx->eng, fx->list, SIZE_MAX) != 1)
        return (size_t)-1;
    const sla_due_item *items;
    size_t n = sla_listquery_items(fx->list, &items);
    memcpy(out, items, n * sizeof *out);
    return fx->list->total;
}

/*
 * Apply one event given as NULL-terminated key, value pairs; "ts" values
 * given as numbers are absolute ms. Returns sla_engine_apply()'s result or
 * a negative parse error.
 */
static inline int fx_event(fixture *fx, int64_t now, ...)
{
    sla_field fields[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, now);
    const char *k;
    while ((k = va_arg(ap, const char *)) && n < 64) {
        const char *v = va_arg(ap, const char *);
        fields[n++] = (sla_field){k, strlen(k), v, strlen(v)};
    }
    va_end(ap);
    static sla_event ev;
    char reason[256];
    int rc = sla_event_parse(&ev, fields, n, now, &fx->cfg->stream.limits, reason, sizeof reason);
    if (rc < 0) {
        fprintf(stderr, "event rejected: %s\n", reason);
        return rc;
    }
    sla_streamid id = {(uint64_t)now, ++fx->seq};
    rc = sla_engine_apply(fx->eng, &ev, &id, now);
    sla_engine_collect(fx->eng, &fx->out);
    return rc;
}

static inline void fx_advance(fixture *fx, int64_t now)
{
    sla_engine_advance(fx->eng, now);
    sla_engine_collect(fx->eng, &fx->out);
}

/* Drive the engine as the daemon does: wake at next_wakeup until `until`. */
static inline void fx_run_until(fixture *fx, int64_t until)
{
    for (int guard = 0; guard < 100000; guard++) {
        int64_t next = sla_engine_next_wakeup(fx->eng);
        if (next > until)
            break;
        fx_advance(fx, next);
    }
    fx_advance(fx, until);
}

/* Count collected decisions matching kind (-1 any), metric (-1 any), ticket (NULL any). */
static inline int fx_count(const fixture *fx, int kind, int metric, const char *ticket)
{
    int n = 0;
    for (size_t i = 0; i < fx->out.ndecisions; i++) {
        const sla_decision *d = &fx->out.decisions[i];
        if ((kind < 0 || (int)d->kind == kind) && (metric < 0 || d->metric == metric) &&
            (!ticket || strcmp(d->ticket, ticket) == 0))
            n++;
    }
    return n;
}

/* The i-th collected decision matching kind and metric, or NULL. */
static inline const sla_decision *fx_find(const fixture *fx, int kind, int metric, int nth)
{
    for (size_t i = 0; i < fx->out.ndecisions; i++) {
        const sla_decision *d = &fx->out.decisions[i];
        if ((kind < 0 || (int)d->kind == kind) && (metric < 0 || d->metric == metric) &&
            nth-- == 0)
            return d;
    }
    return NULL;
}

/* Forget collected output. */
static inline void fx_take(fixture *fx) { sla_output_clear(&fx->out); }

#endif
