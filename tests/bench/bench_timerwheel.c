/*
 * bench_timerwheel — figures for lib/sla_timerwheel against a binary heap.
 *
 * Usage: bench_timerwheel [--smoke | N...]
 *   default   N = 1,000,000 and 10,000,000
 *   --smoke   N = 100,000 only (quick enough for CI)
 *
 * Prints, per N, an aligned table of ns per insert, reschedule, cancel and
 * fire, bookkeeping bytes per deadline, peak RSS, and the wheel/heap ratio;
 * then one line "JSON: {...}" with every figure for scripts. It asserts
 * nothing about speed: a benchmark prints figures, it is not a timed test.
 * It does exit non-zero if either structure fires a timer wrongly, since
 * figures from a broken run mean nothing.
 *
 * Method
 * ------
 * Deadlines model SLA clocks: 10% within the next 10 s, 90% uniform over
 * the next 24 h, from a realistic epoch-ms start. The inputs (two deadline
 * arrays and a random permutation) are drawn before any timing so the
 * random number generator is not measured. For each structure, in turn:
 *
 *   insert      N timers in index order (records are created in order)
 *   reschedule  every timer, in random order, to a fresh deadline
 *   cancel      every timer, in random order
 *   fire        N timers inserted again (untimed), then driven the way the
 *               daemon drives its one libevent timer: jump to the next
 *               deadline, pop what is due, repeat until empty; the time
 *               per timer covers the whole drive, cascades included
 *
 * Random order is what tickets do in production, and it is where the
 * structures differ: the heap's O(log n) sift touches log n cold cache
 * lines, the wheel touches the node and its two neighbours.
 *
 * Baseline: the textbook binary min-heap of node pointers with the node's
 * index kept in the node (libevent's min_heap), so cancel and reschedule
 * are O(log n) without a search. Its array is reserved at N up front, the
 * best case for it (a growing array would add up to 2x slack).
 *
 * Memory: bytes per deadline is what each structure needs per timer (node
 * plus the heap's pointer slot, or the wheel's fixed ~11 KiB spread over
 * N, measured with mallinfo2). Peak RSS is VmHWM from /proc/self/status,
 * reset through /proc/self/clear_refs before each structure's phase, so
 * each figure includes the shared inputs (printed separately) and that
 * structure alone.
 *
 * Ownership: every array is allocated and freed in run_one(); nothing
 * outlives a run.
 */
#include "sla_timerwheel.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS_SECOND INT64_C(1000)
#define MS_DAY (24 * 3600 * MS_SECOND)
#define START_MS INT64_C(1700000000123)

/* ---- measurement helpers --------------------------------------------- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A /proc/self/status field in KiB, or -1 if it cannot be read. */
static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    size_t len = strlen(field);
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kib = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* Make VmHWM restart from the current RSS (Linux >= 4.0). */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static size_t heap_bytes_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* splitmix64: fast, seedable; only used to prepare inputs. */
static uint64_t rng_state = 0x5EED;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static int64_t rnd_deadline(int64_t now)
{
    if (rnd() % 10 == 0)
        return now + 1 + (int64_t)(rnd() % (uint64_t)(10 * MS_SECOND));
    return now + 1 + (int64_t)(rnd() % (uint64_t)MS_DAY);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "bench_timerwheel: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

/* ---- baseline: binary min-heap with index in node ----------------------- */

typedef struct heap_node {
    int64_t when;
    size_t idx; /* position in heap.a, SIZE_MAX when not in the heap */
} heap_node;

typedef struct heap {
    heap_node **a;
    size_t n, cap;
} heap;

static void heap_set(heap *h, size_t i, heap_node *x)
{
    h->a[i] = x;
    x->idx = i;
}

static void heap_sift_up(heap *h, size_t i, heap_node *x)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->a[parent]->when <= x->when)
            break;
        heap_set(h, i, h->a[parent]);
        i = parent;
    }
    heap_set(h, i, x);
}

static void heap_sift_down(heap *h, size_t i, heap_node *x)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->a[c + 1]->when < h->a[c]->when)
            c++;
        if (x->when <= h->a[c]->when)
            break;
        heap_set(h, i, h->a[c]);
        i = c;
    }
    heap_set(h, i, x);
}

/* Capacity is reserved by the caller; the bench never exceeds it. */
static void heap_push(heap *h, heap_node *x)
{
    heap_sift_up(h, h->n++, x);
}

static void heap_remove(heap *h, heap_node *x)
{
    size_t i = x->idx;
    heap_node *last = h->a[--h->n];
    x->idx = SIZE_MAX;
    if (i == h->n)
        return;
    if (i > 0 && last->when < h->a[(i - 1) / 2]->when)
        heap_sift_up(h, i, last);
    else
        heap_sift_down(h, i, last);
}

static void heap_update(heap *h, heap_node *x, int64_t when)
{
    if (x->idx == SIZE_MAX) {
        x->when = when;
        heap_push(h, x);
        return;
    }
    int64_t old = x->when;
    x->when = when;
    if (when < old)
        heap_sift_up(h, x->idx, x);
    else
        heap_sift_down(h, x->idx, x);
}

/* ---- one run ------------------------------------------------------------ */

enum { OP_INSERT, OP_RESCHEDULE, OP_CANCEL, OP_FIRE, OP_COUNT };
static const char *const op_name[OP_COUNT] = {"insert", "reschedule", "cancel", "fire"};

typedef struct figures {
    double ns[OP_COUNT];
    double bytes_per_deadline;
    double peak_rss_mib;
    long wakeups;
    long fired, late; /* late: popped at a time other than its deadline */
} figures;

typedef struct inputs {
    size_t n;
    int64_t *first;  /* deadlines for insert and fire */
    int64_t *second; /* deadlines for reschedule */
    uint32_t *order; /* random permutation of 0..n-1 */
} inputs;

static double per_op(double t0, double t1, size_t n)
{
    return (t1 - t0) / (double)n;
}

static void bench_wheel(const inputs *in, figures *f)
{
    size_t n = in->n;
    reset_peak_rss();
    size_t before = heap_bytes_in_use();
    sla_timerwheel *w = sla_timerwheel_new(START_MS);
    size_t wheel_bytes = heap_bytes_in_use() - before;
    sla_timer *tm = xmalloc(n * sizeof *tm); /* stands for the tickets */
    if (!w) {
        fprintf(stderr, "bench_timerwheel: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        sla_timer_init(&tm[i]);

    double t0 = now_ns();
    for (size_t i = 0; i < n; i++)
        sla_timerwheel_schedule(w, &tm[i], in->first[i]);
    double t1 = now_ns();
    for (size_t j = 0; j < n; j++) {
        uint32_t i = in->order[j];
        sla_timerwheel_schedule(w, &tm[i], in->second[i]);
    }
    double t2 = now_ns();
    for (size_t j = 0; j < n; j++)
        sla_timerwheel_cancel(w, &tm[in->order[j]]);
    double t3 = now_ns();
    f->ns[OP_INSERT] = per_op(t0, t1, n);
    f->ns[OP_RESCHEDULE] = per_op(t1, t2, n);
    f->ns[OP_CANCEL] = per_op(t2, t3, n);

    for (size_t i = 0; i < n; i++)
        sla_timerwheel_schedule(w, &tm[i], in->first[i]);
    f->fired = f->late = f->wakeups = 0;
    t0 = now_ns();
    for (;;) {
        int64_t next = sla_timerwheel_next(w);
        if (next == INT64_MAX)
            break;
        sla_timerwheel_advance(w, next);
        f->wakeups++;
        sla_timer *t;
        while ((t = sla_timerwheel_pop(w))) {
            f->fired++;
            f->late += t->when != next;
        }
    }
    t1 = now_ns();
    f->ns[OP_FIRE] = per_op(t0, t1, n);
    f->bytes_per_deadline = (double)sizeof(sla_timer) + (double)wheel_bytes / (double)n;
    f->peak_rss_mib = (double)status_kib("VmHWM") / 1024.0;
    free(tm);
    sla_timerwheel_free(w);
}

static void bench_heap(const inputs *in, figures *f)
{
    size_t n = in->n;
    reset_peak_rss();
    heap h = {.a = xmalloc(n * sizeof(heap_node *)), .n = 0, .cap = n};
    heap_node *nodes = xmalloc(n * sizeof *nodes);
    for (size_t i = 0; i < n; i++)
        nodes[i] = (heap_node){.when = 0, .idx = SIZE_MAX};

    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        nodes[i].when = in->first[i];
        heap_push(&h, &nodes[i]);
    }
    double t1 = now_ns();
    for (size_t j = 0; j < n; j++) {
        uint32_t i = in->order[j];
        heap_update(&h, &nodes[i], in->second[i]);
    }
    double t2 = now_ns();
    for (size_t j = 0; j < n; j++)
        heap_remove(&h, &nodes[in->order[j]]);
    double t3 = now_ns();
    f->ns[OP_INSERT] = per_op(t0, t1, n);
    f->ns[OP_RESCHEDULE] = per_op(t1, t2, n);
    f->ns[OP_CANCEL] = per_op(t2, t3, n);

    for (size_t i = 0; i < n; i++) {
        nodes[i].when = in->first[i];
        heap_push(&h, &nodes[i]);
    }
    f->fired = f->late = f->wakeups = 0;
    t0 = now_ns();
    while (h.n) {
        int64_t now = h.a[0]->when;
        f->wakeups++;
        while (h.n && h.a[0]->when <= now) {
            heap_node *x = h.a[0];
            heap_remove(&h, x);
            f->fired++;
            f->late += x->when != now;
        }
    }
    t1 = now_ns();
    f->ns[OP_FIRE] = per_op(t0, t1, n);
    f->bytes_per_deadline =
        (double)sizeof(heap_node) + (double)(h.cap * sizeof(heap_node *)) / (double)n;
    f->peak_rss_mib = (double)status_kib("VmHWM") / 1024.0;
    free(nodes);
    free(h.a);
}

static void print_row(const char *name, double wheel, double heapv, int decimals)
{
    printf("  %-22s %12.*f %12.*f %10.2f\n", name, decimals, wheel, decimals, heapv,
           heapv > 0 ? wheel / heapv : 0.0);
}

static int json_figures(char *buf, size_t len, const char *name, const figures *f)
{
    return snprintf(buf, len,
                    "\"%s\":{\"insert_ns\":%.1f,\"reschedule_ns\":%.1f,\"cancel_ns\":%.1f,"
                    "\"fire_ns\":%.1f,\"bytes_per_deadline\":%.2f,\"peak_rss_mib\":%.1f,"
                    "\"wakeups\":%ld}",
                    name, f->ns[OP_INSERT], f->ns[OP_RESCHEDULE], f->ns[OP_CANCEL],
                    f->ns[OP_FIRE], f->bytes_per_deadline, f->peak_rss_mib, f->wakeups);
}

/*
 * Runs both structures for n timers and prints the table; writes this
 * run's JSON object into json (caller's buffer). Returns 0 if either
 * structure fired wrongly.
 */
static int run_one(size_t n, char *json, size_t json_len)
{
    inputs in = {.n = n,
                 .first = xmalloc(n * sizeof(int64_t)),
                 .second = xmalloc(n * sizeof(int64_t)),
                 .order = xmalloc(n * sizeof(uint32_t))};
    for (size_t i = 0; i < n; i++) {
        in.first[i] = rnd_deadline(START_MS);
        in.second[i] = rnd_deadline(START_MS);
        in.order[i] = (uint32_t)i;
    }
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)(rnd() % (i + 1));
        uint32_t tmp = in.order[i];
        in.order[i] = in.order[j];
        in.order[j] = tmp;
    }
    double inputs_mib = (double)status_kib("VmRSS") / 1024.0;

    figures wf, hf;
    bench_wheel(&in, &wf);
    bench_heap(&in, &hf);

    printf("\nN = %zu timers (deadlines: 10%% within 10 s, 90%% uniform over 24 h)\n", n);
    printf("  %-22s %12s %12s %10s\n", "", "wheel", "heap", "wheel/heap");
    for (int op = 0; op < OP_COUNT; op++) {
        char name[40];
        snprintf(name, sizeof name, "%s (ns/op)", op_name[op]);
        print_row(name, wf.ns[op], hf.ns[op], 1);
    }
    print_row("bytes per deadline", wf.bytes_per_deadline, hf.bytes_per_deadline, 2);
    print_row("peak RSS (MiB)", wf.peak_rss_mib, hf.peak_rss_mib, 1);
    print_row("fire wake-ups", (double)wf.wakeups, (double)hf.wakeups, 0);
    printf("  %-22s %12.1f   (inputs shared by both, included in peak RSS)\n",
           "inputs RSS (MiB)", inputs_mib);

    int ok = 1;
    const figures *all[2] = {&wf, &hf};
    for (int s = 0; s < 2; s++) {
        if (all[s]->fired != (long)n || all[s]->late != 0) {
            fprintf(stderr, "bench_timerwheel: %s fired %ld of %zu, %ld not at their deadline\n",
                    s ? "heap" : "wheel", all[s]->fired, n, all[s]->late);
            ok = 0;
        }
    }

    int len = snprintf(json, json_len, "{\"n\":%zu,\"inputs_rss_mib\":%.1f,", n, inputs_mib);
    len += json_figures(json + len, json_len - (size_t)len, "wheel", &wf);
    len += snprintf(json + len, json_len - (size_t)len, ",");
    len += json_figures(json + len, json_len - (size_t)len, "heap", &hf);
    snprintf(json + len, json_len - (size_t)len, "}");

    free(in.first);
    free(in.second);
    free(in.order);
    return ok;
}

int main(int argc, char **argv)
{
    size_t ns[16];
    int count = 0;
    for (int i = 1; i < argc && count < 16; i++) {
        if (strcmp(argv[i], "--smoke") == 0) {
            ns[count++] = 100000;
            continue;
        }
        char *end;
        unsigned long long v = strtoull(argv[i], &end, 10);
        if (*end || v < 2 || v > UINT32_MAX) {
            fprintf(stderr, "usage: %s [--smoke | N...]  (2 <= N <= %u)\n", argv[0], UINT32_MAX);
            return 2;
        }
        ns[count++] = (size_t)v;
    }
    if (count == 0) {
        ns[count++] = 1000000;
        ns[count++] = 10000000;
    }

    printf("sla_timerwheel vs binary min-heap (ns per operation, random access order)\n");
    char json[8192] = "";
    int ok = 1;
    for (int i = 0; i < count; i++) {
        char one[1024];
        ok &= run_one(ns[i], one, sizeof one);
        size_t len = strlen(json);
        snprintf(json + len, sizeof json - len, "%s%s", i ? "," : "", one);
    }
    printf("\nJSON: {\"bench\":\"timerwheel\",\"sizeof_sla_timer\":%zu,\"runs\":[%s]}\n",
           sizeof(sla_timer), json);
    return ok ? 0 : 1;
}
