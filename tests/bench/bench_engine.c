/*
 * bench_engine — what a million open tickets cost the engine.
 *
 * Loads a configuration (default: the shipped conf/slad.conf), opens N
 * tickets with a realistic mix of channels and attributes, then measures:
 *   - apply: ns per event (open, reply, update) against a baseline of
 *     parsing the same entries alone (the floor any engine pays); then
 *     ticket.updated carrying the opening's attributes again (nothing
 *     changes: the common case of producers that resend every attribute)
 *     and carrying a new assignee (a change: merge, re-match, reallocate);
 *     each also as process CPU time, steadier than wall time on a shared
 *     machine;
 *   - memory: RSS growth per open ticket, and the size of the durable
 *     record per ticket;
 *   - fire: ns per decision when a window of deadlines falls due;
 *   - restore: ns per ticket rebuilt from its record;
 *   - customers: N customers signed (tier, industry, owner, a contract end:
 *     five relationship clocks running each) in an engine of their own beside the
 *     tickets: ns per event, heap bytes per open customer against heap
 *     bytes per open ticket (malloc's bytes in use, exact whatever memory
 *     earlier phases freed), and the durable record per customer; for
 *     both kinds, where the heap bytes go (sla_engine_get_footprint);
 *   - free: the customers' engine freed in one call (what holds a loop
 *     that drops it whole), and the tickets' engine freed in steps of
 *     FREE_STEP_SLOTS table slots (sla_engine_free_step, as slad frees a
 *     partition it lost): the worst step, the steps and their total.
 *
 * Usage: bench_engine [-c CONFIG] [-n TICKETS] [--smoke]
 * A benchmark, not a test: it prints figures and never fails on them.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sla_config.h"
#include "sla_engine.h"
#include "sla_listquery.h"
#include "sla_event.h"

/* Table slots freed per step (the daemon's PIPELINES_FREE_STEP_SLOTS). */
#define FREE_STEP_SLOTS 1024

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

typedef struct entry {
    sla_field f[8];
    size_t n;
    char id[24], assignee[16], customer[16];
} entry;

static const char *const channels[] = {"chat", "email", "phone", "social", "email", "chat"};
static const char *const priorities[] = {"high", "medium", "low", "medium"};
static const char *const categories[] = {"general", "technical", "complaint", "general"};

#define FIELD(e, k, v) ((e)->f[(e)->n++] = (sla_field){k, strlen(k), v, strlen(v)})

static void make_open(entry *e, size_t i)
{
    e->n = 0;
    snprintf(e->id, sizeof e->id, "TK-%08zu", i);
    snprintf(e->assignee, sizeof e->assignee, "agent-%zu", i % 500);
    snprintf(e->customer, sizeof e->customer, "C%zu", i % 200000);
    FIELD(e, "ticket", e->id);
    FIELD(e, "type", "ticket.opened");
    FIELD(e, "channel", channels[i % 6]);
    FIELD(e, "priority", priorities[i % 4]);
    FIELD(e, "category", categories[i % 4]);
    FIELD(e, "assignee", e->assignee);
    FIELD(e, "customer", e->customer);
}

/* ticket.updated with the opening's attributes, the assignee replaced by
 * `assignee` when not NULL. */
static void make_update(entry *e, size_t i, const char *assignee)
{
    make_open(e, i);
    e->f[1] = (sla_field){"type", 4, "ticket.updated", 14};
    if (assignee) {
        snprintf(e->assignee, sizeof e->assignee, "%s-%zu", assignee, i % 500);
        e->f[5].val_len = strlen(e->assignee);
    }
}

/* Heap bytes in use (malloc's own count). */
static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static const char *const tiers[] = {"vip", "ordinary", "ordinary", "potential"};
static const char *const industries[] = {"retail", "finance", "manufacturing"};

/* customer.signed of customer CU-i, with a contract ending in 100..465 days. */
static void make_customer(entry *e, size_t i, int64_t ts)
{
    e->n = 0;
    snprintf(e->id, sizeof e->id, "CU-%08zu", i);
    snprintf(e->assignee, sizeof e->assignee, "am-%zu", i % 300);
    snprintf(e->customer, sizeof e->customer, "%lld",
             (long long)(ts + (int64_t)(100 + i % 365) * 86400000));
    FIELD(e, "customer", e->id);
    FIELD(e, "type", "customer.signed");
    FIELD(e, "tier", tiers[i % 4]);
    FIELD(e, "industry", industries[i % 3]);
    FIELD(e, "owner", e->assignee);
    FIELD(e, "contract_end", e->customer);
}

/* Where an open subject's heap bytes go: the parts of its record, the
 * index, and the rest (malloc's headers and rounding, the timer wheel). */
static void print_footprint(const sla_engine_footprint fp_[1], size_t heap, const char *what)
{
    sla_engine_footprint fp = *fp_;
    if (!fp.subjects)
        return;
    double n = (double)fp.subjects;
    size_t parts = fp.header + fp.clocks + fp.id + fp.attrs + fp.memos + fp.index;
    printf("  per %-8s      record %.1f (fixed %.1f, clocks %.1f in %.1f slots, %.1f idle, "
           "%.0f%% packed; id %.1f, attrs %.1f, memos %.1f), index %.1f, malloc and other %.1f\n",
           what, (double)(fp.header + fp.clocks + fp.id + fp.attrs + fp.memos) / n,
           (double)fp.header / n, (double)fp.clocks / n, (double)fp.slots / n,
           (double)fp.slots_idle / n, 100.0 * (double)fp.packed / n,
           (double)fp.id / n, (double)fp.attrs / n, (double)fp.memos / n, (double)fp.index / n,
           ((double)heap - (double)parts) / n);
}

static void make_simple(entry *e, size_t i, const char *type)
{
    e->n = 0;
    snprintf(e->id, sizeof e->id, "TK-%08zu", i);
    FIELD(e, "ticket", e->id);
    FIELD(e, "type", type);
}

int main(int argc, char **argv)
{
    const char *cfgpath = "conf/slad.conf";
    size_t n = 1000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            cfgpath = argv[++i];
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--smoke") == 0)
            n = 20000;
        else {
            fprintf(stderr, "usage: %s [-c CONFIG] [-n TICKETS] [--smoke]\n", argv[0]);
            return 2;
        }
    }
    sla_config *cfg;
    char err[512];
    if (sla_config_load(cfgpath, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const int64_t t0 = 1767571200000LL; /* events spread over the hour before "now" */
    const int64_t now = t0 + 3600 * 1000;
    sla_event *ev = malloc(sizeof *ev);
    entry e;
    char reason[256];

    /* Baseline: parsing alone. */
    double a = now_ns();
    for (size_t i = 0; i < n; i++) {
        make_open(&e, i);
        sla_event_parse(ev, e.f, e.n, t0 + (int64_t)(i % 3600000), &cfg->stream.limits, reason,
                        sizeof reason);
    }
    double parse_ns = (now_ns() - a) / (double)n;

    long rss0 = rss_kb();
    size_t heap0 = heap_bytes();
    sla_engine *eng = sla_engine_new(cfg, t0);
    sla_output out;
    sla_output_init(&out);
    double c = cpu_ns();
    a = now_ns();
    for (size_t i = 0; i < n; i++) {
        make_open(&e, i);
        int64_t ts = t0 + (int64_t)(i * 3600000 / n);
        sla_event_parse(ev, e.f, e.n, ts, &cfg->stream.limits, reason, sizeof reason);
        sla_streamid id = {(uint64_t)ts, i};
        sla_engine_apply(eng, ev, &id, ts);
        if (i % 1000 == 999) {
            sla_engine_collect(eng, &out);
            sla_output_clear(&out);
        }
    }
    double open_ns = (now_ns() - a) / (double)n;
    double open_cpu = (cpu_ns() - c) / (double)n;
    sla_engine_collect(eng, &out);
    sla_output_clear(&out);
    long rss1 = rss_kb();
    size_t heap1 = heap_bytes();
    sla_engine_footprint tfp; /* as the heap was measured: before breaches add memos */
    sla_engine_get_footprint(eng, SLA_SUBJECT_TICKET, &tfp);

    /* Durable record size: encode every ticket once more via a reply; keep
     * the records to measure a restart's restore below. */
    size_t rec_bytes = 0, recs = 0;
    sla_upsert *saved = calloc(n, sizeof *saved);
    c = cpu_ns();
    a = now_ns();
    for (size_t i = 0; i < n; i++) {
        make_simple(&e, i, i % 2 ? "agent.reply" : "agent.update");
        int64_t ts = t0 + (int64_t)(i * 3600000 / n) + 1000;
        sla_event_parse(ev, e.f, e.n, ts, &cfg->stream.limits, reason, sizeof reason);
        sla_streamid id = {(uint64_t)ts, n + i};
        sla_engine_apply(eng, ev, &id, ts);
        if (i % 1000 == 999 || i == n - 1) {
            sla_engine_collect(eng, &out);
            for (size_t k = 0; k < out.nupserts; k++) {
                rec_bytes += out.upserts[k].record_len + out.upserts[k].ticket_len;
                if (recs + k < n) {
                    saved[recs + k] = out.upserts[k];
                    out.upserts[k].ticket = NULL;
                    out.upserts[k].record = NULL;
                }
            }
            recs += out.nupserts;
            sla_output_clear(&out);
        }
    }
    double reply_ns = (now_ns() - a) / (double)n;
    double reply_cpu = (cpu_ns() - c) / (double)n;

    /* Updates carrying attributes: the same again, then a new assignee. */
    double upd_ns[2], upd_cpu[2];
    for (int k = 0; k < 2; k++) {
        c = cpu_ns();
        a = now_ns();
        for (size_t i = 0; i < n; i++) {
            make_update(&e, i, k ? "agent-b" : NULL);
            int64_t ts = t0 + (int64_t)(i * 3600000 / n) + 2000 + k;
            sla_event_parse(ev, e.f, e.n, ts, &cfg->stream.limits, reason, sizeof reason);
            sla_streamid id = {(uint64_t)ts, (2 + (uint64_t)k) * n + i};
            sla_engine_apply(eng, ev, &id, ts);
            if (i % 1000 == 999) {
                sla_engine_collect(eng, &out);
                sla_output_clear(&out);
            }
        }
        upd_ns[k] = (now_ns() - a) / (double)n;
        upd_cpu[k] = (cpu_ns() - c) / (double)n;
        sla_engine_collect(eng, &out);
        sla_output_clear(&out);
    }

    /* A query reading every ticket (due, the 1000 soonest), and a reload
     * re-matching every ticket: work the daemon must not do in one go. */
    sla_listquery *q = sla_listquery_new(0, now, -1, 1000);
    a = now_ns();
    while (q && sla_engine_list_step(eng, q, 4096) == 0)
        ;
    double query_ns = (now_ns() - a) / (double)n;
    sla_listquery_free(q);
    a = now_ns();
    sla_engine_set_config(eng, cfg, now);
    double set_config_ns = now_ns() - a;
    while (!sla_engine_rematch_step(eng, 4096))
        ;
    double reload_ns = (now_ns() - a) / (double)n;
    sla_engine_collect(eng, &out);
    sla_output_clear(&out);

    /* Fire: everything due up to now (the hour of tickets ages). */
    a = now_ns();
    size_t decisions = 0;
    for (int64_t t = t0; t <= now + 24LL * 3600 * 1000; t += 60 * 1000) {
        sla_engine_advance(eng, t);
        sla_engine_collect(eng, &out);
        decisions += out.ndecisions;
        sla_output_clear(&out);
    }
    double fire_total = now_ns() - a;

    /* Restore: a restarted daemon rebuilding every ticket from its record. */
    sla_engine *eng2 = sla_engine_new(cfg, now);
    size_t nsaved = recs < n ? recs : n;
    a = now_ns();
    for (size_t i = 0; i < nsaved; i++)
        sla_engine_restore(eng2, saved[i].ticket, saved[i].ticket_len, saved[i].record,
                           saved[i].record_len, now);
    double restore_ns = nsaved ? (now_ns() - a) / (double)nsaved : 0.0;
    sla_engine_free(eng2);
    for (size_t i = 0; i < nsaved; i++) {
        free(saved[i].ticket);
        free(saved[i].record);
    }
    free(saved);

    /* Customers with their clocks wide, as tickets hold theirs: the
     * baseline of the packing, measured the same way and freed. */
    size_t wheap0 = heap_bytes();
    sla_engine *weng = sla_engine_new(cfg, t0);
    sla_engine_set_packing(weng, 0);
    for (size_t i = 0; i < n; i++) {
        int64_t ts = t0 + (int64_t)(i * 3600000 / n);
        make_customer(&e, i, ts);
        sla_event_parse(ev, e.f, e.n, ts, &cfg->stream.limits, reason, sizeof reason);
        sla_streamid id = {(uint64_t)ts, i};
        sla_engine_apply(weng, ev, &id, ts);
        if (i % 1000 == 999 || i == n - 1) {
            sla_engine_collect(weng, &out);
            sla_output_clear(&out);
        }
    }
    size_t wheap1 = heap_bytes();
    sla_engine_footprint wfp;
    sla_engine_get_footprint(weng, SLA_SUBJECT_CUSTOMER, &wfp);
    sla_engine_free(weng);

    /* Customers, beside the tickets (which stay open). */
    size_t cheap0 = heap_bytes();
    sla_engine *ceng = sla_engine_new(cfg, t0);
    a = now_ns();
    size_t crec_bytes = 0, crecs = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t ts = t0 + (int64_t)(i * 3600000 / n);
        make_customer(&e, i, ts);
        sla_event_parse(ev, e.f, e.n, ts, &cfg->stream.limits, reason, sizeof reason);
        sla_streamid id = {(uint64_t)ts, i};
        sla_engine_apply(ceng, ev, &id, ts);
        if (i % 1000 == 999 || i == n - 1) {
            sla_engine_collect(ceng, &out);
            for (size_t k = 0; k < out.nupserts; k++, crecs++)
                crec_bytes += out.upserts[k].ticket_len + out.upserts[k].record_len;
            sla_output_clear(&out);
        }
    }
    double customer_ns = (now_ns() - a) / (double)n;
    size_t cheap1 = heap_bytes();
    sla_engine_footprint cfp;
    sla_engine_get_footprint(ceng, SLA_SUBJECT_CUSTOMER, &cfp);
    sla_engine_stats cst;
    sla_engine_get_stats(ceng, &cst);
    size_t crunning = 0;
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        crunning += cst.running_clocks[m];

    sla_engine_stats st;
    sla_engine_get_stats(eng, &st);
    size_t running = 0;
    for (int m = 0; m < SLA_METRIC_COUNT; m++)
        running += st.running_clocks[m];

    printf("tickets            %zu open, %zu running clocks\n", (size_t)st.open_tickets, running);
    printf("parse (baseline)   %8.0f ns/event\n", parse_ns);
    printf("open ticket        %8.0f ns/event   (%.2fx parse; CPU %.0f ns)\n", open_ns,
           open_ns / parse_ns, open_cpu);
    printf("reply/update       %8.0f ns/event   (%.2fx parse; CPU %.0f ns)\n", reply_ns,
           reply_ns / parse_ns, reply_cpu);
    printf("update, same attrs %8.0f ns/event   (CPU %.0f ns)\n", upd_ns[0], upd_cpu[0]);
    printf("update, new assignee %6.0f ns/event   (CPU %.0f ns)\n", upd_ns[1], upd_cpu[1]);
    printf("fire               %8.0f ns/decision over %zu decisions (simulated day)\n",
           decisions ? fire_total / (double)decisions : 0.0, decisions);
    printf("query (due, all)   %8.0f ns/ticket (%.1f ms for %zu, read in slices)\n", query_ns,
           query_ns * (double)n / 1e6, n);
    printf("reload (rematch)   %8.0f ns/ticket (%.1f ms for %zu, in slices; set_config "
           "itself %.0f us)\n",
           reload_ns, reload_ns * (double)n / 1e6, n, set_config_ns / 1e3);
    printf("RSS                %8.1f bytes/open ticket (%ld MB for %zu)\n",
           (double)(rss1 - rss0) * 1024.0 / (double)n, (rss1 - rss0) / 1024, n);
    printf("durable record     %8.1f bytes/ticket (id + record)\n",
           recs ? (double)rec_bytes / (double)recs : 0.0);
    printf("restore            %8.0f ns/ticket (%.2f s for %zu)\n", restore_ns,
           restore_ns * (double)nsaved / 1e9, nsaved);
    printf("heap               %8.1f bytes/open ticket (malloc bytes in use)\n",
           (double)(heap1 - heap0) / (double)n);
    print_footprint(&tfp, heap1 - heap0, "ticket");
    printf("customers          %zu open, %zu running clocks\n", (size_t)cst.open_customers,
           crunning);
    printf("sign customer      %8.0f ns/event\n", customer_ns);
    printf("heap               %8.1f bytes/open customer (malloc bytes in use)\n",
           (double)(cheap1 - cheap0) / (double)n);
    print_footprint(&cfp, cheap1 - cheap0, "customer");
    double theap = (double)(heap1 - heap0) / (double)n, cheap = (double)(cheap1 - cheap0) / (double)n,
           wheap = (double)(wheap1 - wheap0) / (double)n;
    printf("  wide clocks        %8.1f bytes/open customer (baseline: clocks not packed)\n", wheap);
    print_footprint(&wfp, wheap1 - wheap0, "customer");
    printf("  customer/ticket    %8.2f (heap; wide clocks: %.2f); packed/wide %.2f\n",
           cheap / theap, wheap / theap, cheap / wheap);
    printf("durable record     %8.1f bytes/customer (field + record; %.2fx the ticket's)\n",
           crecs ? (double)crec_bytes / (double)crecs : 0.0,
           crecs && recs ? ((double)crec_bytes / (double)crecs) / ((double)rec_bytes / (double)recs)
                         : 0.0);
    double fa = now_ns();
    sla_engine_free(ceng);
    double free_whole_ns = now_ns() - fa;
    /* Freed in steps, each timed: the worst is what one turn of a loop
     * waits for; the last frees the table's slots and the rest. */
    double free_total_ns = 0, free_last_ns = 0, free_worst_cpu_ns = 0;
    double *steps = NULL;
    size_t free_steps = 0, steps_cap = 0;
    for (int done = 0; !done;) {
        double fc = cpu_ns();
        fa = now_ns();
        done = sla_engine_free_step(eng, FREE_STEP_SLOTS);
        double d = now_ns() - fa;
        fc = cpu_ns() - fc;
        if (fc > free_worst_cpu_ns)
            free_worst_cpu_ns = fc;
        free_total_ns += d;
        if (free_steps == steps_cap) {
            steps_cap = steps_cap ? 2 * steps_cap : 1024;
            steps = realloc(steps, steps_cap * sizeof *steps);
            if (steps == NULL)
                return 1;
        }
        steps[free_steps++] = d;
        free_last_ns = d;
    }
    eng = NULL;
    qsort(steps, free_steps, sizeof *steps, cmp_double);
    double free_worst_ns = steps[free_steps - 1];
    double free_p99_ns = steps[(free_steps - 1) * 99 / 100];
    double free_median_ns = steps[(free_steps - 1) / 2];
    free(steps);
    printf("free, one call     %8.1f ms for %zu customers\n", free_whole_ns / 1e6, n);
    printf("free, in steps     %8.1f us worst step of %d slots (CPU %.1f us; median %.1f us, "
           "p99 %.1f us, last %.1f us; %zu steps, %.1f ms in all, %zu tickets)\n",
           free_worst_ns / 1e3, FREE_STEP_SLOTS, free_worst_cpu_ns / 1e3, free_median_ns / 1e3,
           free_p99_ns / 1e3, free_last_ns / 1e3, free_steps, free_total_ns / 1e6, n);
    printf("JSON: {\"tickets\":%zu,\"parse_ns\":%.0f,\"open_ns\":%.0f,\"reply_ns\":%.0f,"
           "\"open_cpu_ns\":%.0f,\"reply_cpu_ns\":%.0f,\"update_same_ns\":%.0f,"
           "\"update_same_cpu_ns\":%.0f,\"update_change_ns\":%.0f,\"update_change_cpu_ns\":%.0f,"
           "\"fire_ns\":%.0f,\"rss_bytes_per_ticket\":%.1f,\"record_bytes\":%.1f,"
           "\"restore_ns\":%.0f,\"heap_ticket\":%.1f,\"heap_customer\":%.1f,"
           "\"heap_customer_wide\":%.1f,\"free_step_worst_us\":%.1f,"
           "\"free_step_worst_cpu_us\":%.1f,\"free_whole_ms\":%.1f}\n",
           n, parse_ns, open_ns, reply_ns, open_cpu, reply_cpu, upd_ns[0], upd_cpu[0], upd_ns[1],
           upd_cpu[1], decisions ? fire_total / (double)decisions : 0.0,
           (double)(rss1 - rss0) * 1024.0 / (double)n, recs ? (double)rec_bytes / (double)recs : 0.0,
           restore_ns, theap, cheap, wheap, free_worst_ns / 1e3, free_worst_cpu_ns / 1e3,
           free_whole_ns / 1e6);

    sla_config_free(cfg);
    free(ev);
    return 0;
}
