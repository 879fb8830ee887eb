/*
 * test_timerwheel — unit tests for lib/sla_timerwheel.
 *
 * Each test builds its own wheel. Timers are embedded in an `item`, as they
 * will be in a ticket, and recovered with container_of arithmetic; an item
 * records the wheel time it fired at, so exactness is checked to the ms.
 *
 * Two ways of moving time are exercised:
 *   - stepping every millisecond, or jumping by arbitrary amounts (the
 *     property test), which checks the due set after each advance;
 *   - driving as the daemon does (advance to next(), pop, repeat), which
 *     must fire every timer at exactly its `when`, never late.
 *
 * The property tests compare against a flat reference array scanned in
 * O(M) per check: slow but obviously right, and M is small. They use a
 * seeded splitmix64 so a failure replays identically.
 */
#include "sla_timerwheel.h"
#include "check.h"

#include <stddef.h>
#include <stdlib.h>

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

#define MS_MINUTE INT64_C(60000)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)
#define MS_YEAR (365 * MS_DAY)
/* A realistic epoch-ms start, 59 ms into a 64 ms block (no boundary). */
#define T0 INT64_C(1700000000123)
/*
 * The start of that block: deadlines up to TA + 63 sit in level 0, where
 * next() is exact, which lets a test see that a cancel emptied a slot.
 */
#define TA (T0 - 59)

typedef struct item {
    sla_timer node;
    int64_t fired_at;
    int fires;
} item;

static void item_init(item *it)
{
    sla_timer_init(&it->node);
    it->fired_at = -1;
    it->fires = 0;
}

static void items_init(item *it, int n)
{
    for (int i = 0; i < n; i++)
        item_init(&it[i]);
}

/* Pop every due timer, stamping each with the wheel's time. */
static int drain(sla_timerwheel *w)
{
    int n = 0;
    sla_timer *t;
    while ((t = sla_timerwheel_pop(w))) {
        item *it = container_of(t, item, node);
        it->fired_at = sla_timerwheel_now(w);
        it->fires++;
        n++;
    }
    return n;
}

/*
 * Drive the wheel as the daemon's single libevent timer will, up to
 * `until`. Returns the number of wake-ups (advances to a next() value).
 */
static long drive(sla_timerwheel *w, int64_t until)
{
    long wakeups = 0;
    drain(w);
    for (;;) {
        int64_t nx = sla_timerwheel_next(w);
        if (nx > until || sla_timerwheel_count(w) == 0)
            break;
        if (nx <= sla_timerwheel_now(w)) {
            CHECK(nx > sla_timerwheel_now(w)); /* would spin forever */
            break;
        }
        sla_timerwheel_advance(w, nx);
        wakeups++;
        drain(w);
    }
    sla_timerwheel_advance(w, until);
    drain(w);
    return wakeups;
}

static void step_each_ms(sla_timerwheel *w, int64_t until)
{
    for (int64_t t = sla_timerwheel_now(w) + 1; t <= until; t++) {
        sla_timerwheel_advance(w, t);
        drain(w);
    }
}

/* Near deadlines, around every level-0/level-1 boundary, stepped per ms. */
static void test_near_exact(void)
{
    static const int64_t offs[] = {1, 2, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097};
    enum { N = sizeof offs / sizeof offs[0] };
    sla_timerwheel *w = sla_timerwheel_new(T0);
    CHECK(w != NULL);
    item it[N];
    for (int i = 0; i < N; i++) {
        item_init(&it[i]);
        sla_timerwheel_schedule(w, &it[i].node, T0 + offs[i]);
        CHECK(sla_timer_pending(&it[i].node));
    }
    CHECK_INT(sla_timerwheel_count(w), N);
    CHECK_INT(sla_timerwheel_next(w), T0 + 1);
    /* T0 + 5 lies in the next 64 ms block: a bound, exact once entered */
    CHECK(sla_timerwheel_next(w) <= T0 + 5);
    step_each_ms(w, T0 + 5000);
    for (int i = 0; i < N; i++) {
        CHECK_INT(it[i].fires, 1);
        CHECK_INT(it[i].fired_at, T0 + offs[i]);
        CHECK(!sla_timer_pending(&it[i].node));
    }
    CHECK_INT(sla_timerwheel_count(w), 0);
    CHECK_INT(sla_timerwheel_next(w), INT64_MAX);
    sla_timerwheel_free(w);
}

/*
 * One timer at `off` from T0, checked two ways: jumping to when-1 must not
 * fire it and to when must; driving by next() must fire it exactly, within
 * `max_wakeups`.
 */
static void check_fires_exactly(int64_t off, long max_wakeups)
{
    int64_t when = T0 + off;
    sla_timerwheel *w = sla_timerwheel_new(T0);
    item a;
    item_init(&a);
    sla_timerwheel_schedule(w, &a.node, when);
    CHECK(sla_timerwheel_next(w) <= when);
    sla_timerwheel_advance(w, when - 1);
    CHECK_INT(drain(w), 0);
    CHECK(sla_timer_pending(&a.node));
    CHECK(sla_timerwheel_next(w) <= when);
    sla_timerwheel_advance(w, when);
    CHECK_INT(drain(w), 1);
    CHECK_INT(a.fired_at, when);
    sla_timerwheel_free(w);

    w = sla_timerwheel_new(T0);
    item_init(&a);
    sla_timerwheel_schedule(w, &a.node, when);
    long wakeups = drive(w, when + MS_DAY);
    CHECK_INT(a.fires, 1);
    CHECK_INT(a.fired_at, when);
    if (wakeups > max_wakeups)
        fprintf(stderr, "offset %lld: %ld wake-ups\n", (long long)off, wakeups);
    CHECK(wakeups <= max_wakeups);
    sla_timerwheel_free(w);
}

static void test_medium_far_exact(void)
{
    /* minutes: at most one wake-up per level the timer passes through */
    check_fires_exactly(MS_MINUTE, 8);
    check_fires_exactly(5 * MS_MINUTE + 17, 8);
    check_fires_exactly(59 * MS_MINUTE + 59999, 8);
    check_fires_exactly(MS_HOUR + 1, 8);
    /* days, years */
    check_fires_exactly(3 * MS_DAY + 7, 8);
    check_fires_exactly(45 * MS_DAY, 8);
    check_fires_exactly(5 * MS_YEAR + 13, 8);
    check_fires_exactly(100 * MS_YEAR + 1, 8);
    /* beyond 2^42 ms: the overflow list, one more wake-up per 2^42 block */
    check_fires_exactly(200 * MS_YEAR + 1, 16);
    check_fires_exactly(300 * MS_YEAR + 999, 16);
}

/* Several deadlines in one wheel, far apart, driven together. */
static void test_mixed_driven(void)
{
    static const int64_t offs[] = {5,           MS_MINUTE,  7 * MS_MINUTE + 3, MS_DAY - 1,
                                   2 * MS_DAY,  MS_YEAR,    10 * MS_YEAR + 11, 150 * MS_YEAR,
                                   MS_HOUR + 2, MS_HOUR + 2};
    enum { N = sizeof offs / sizeof offs[0] };
    sla_timerwheel *w = sla_timerwheel_new(T0);
    item it[N];
    for (int i = 0; i < N; i++) {
        item_init(&it[i]);
        sla_timerwheel_schedule(w, &it[i].node, T0 + offs[i]);
    }
    long wakeups = drive(w, T0 + 200 * MS_YEAR);
    for (int i = 0; i < N; i++) {
        CHECK_INT(it[i].fires, 1);
        CHECK_INT(it[i].fired_at, T0 + offs[i]);
    }
    CHECK(wakeups <= N * 9);
    CHECK_INT(sla_timerwheel_count(w), 0);
    sla_timerwheel_free(w);
}

/* A deadline at or before the wheel's time is due at once. */
static void test_past(void)
{
    sla_timerwheel *w = sla_timerwheel_new(T0);
    item it[4];
    items_init(it, 4);
    item *a = &it[0], *b = &it[1], *c = &it[2], *d = &it[3];
    sla_timerwheel_schedule(w, &d->node, T0 + 3);
    sla_timerwheel_schedule(w, &a->node, T0 - 5000);
    CHECK(sla_timerwheel_next(w) <= T0);
    sla_timerwheel_schedule(w, &b->node, T0);
    sla_timerwheel_schedule(w, &c->node, INT64_MIN);
    CHECK_INT(sla_timerwheel_count(w), 4);
    CHECK_INT(drain(w), 3); /* no advance needed */
    CHECK_INT(a->fires + b->fires + c->fires, 3);
    CHECK_INT(d->fires, 0);
    CHECK_INT(sla_timerwheel_next(w), T0 + 3);
    /* an advance into the past is a no-op and moves nothing */
    sla_timerwheel_advance(w, T0 - 1);
    CHECK_INT(sla_timerwheel_now(w), T0);
    CHECK_INT(drain(w), 0);
    /* a reschedule into the past makes a pending timer due at once */
    sla_timerwheel_schedule(w, &d->node, T0 - 1);
    CHECK_INT(drain(w), 1);
    CHECK_INT(d->fires, 1);
    CHECK_INT(sla_timerwheel_count(w), 0);
    sla_timerwheel_free(w);
}

static void test_cancel(void)
{
    sla_timerwheel *w = sla_timerwheel_new(TA);
    item it[4];
    items_init(it, 4);
    item *a = &it[0], *b = &it[1], *c = &it[2], *never = &it[3];

    /* cancelling an unlinked timer is a no-op, twice over */
    sla_timerwheel_schedule(w, &b->node, TA + 20);
    sla_timerwheel_cancel(w, &never->node);
    sla_timerwheel_cancel(w, &never->node);
    CHECK_INT(sla_timerwheel_count(w), 1);
    CHECK(!sla_timer_pending(&never->node));

    /* cancel before fire; the emptied slot no longer bounds next() */
    sla_timerwheel_schedule(w, &a->node, TA + 10);
    CHECK_INT(sla_timerwheel_next(w), TA + 10);
    sla_timerwheel_cancel(w, &a->node);
    CHECK(!sla_timer_pending(&a->node));
    CHECK_INT(sla_timerwheel_count(w), 1);
    CHECK_INT(sla_timerwheel_next(w), TA + 20);
    sla_timerwheel_cancel(w, &a->node);
    CHECK_INT(sla_timerwheel_count(w), 1);

    /* cancel a far timer, and a due one */
    sla_timerwheel_schedule(w, &c->node, TA + 3 * MS_DAY);
    sla_timerwheel_cancel(w, &c->node);
    sla_timerwheel_schedule(w, &a->node, TA - 1);
    sla_timerwheel_cancel(w, &a->node);
    CHECK(sla_timerwheel_pop(w) == NULL);
    CHECK_INT(sla_timerwheel_next(w), TA + 20);

    drive(w, TA + 10 * MS_DAY);
    CHECK_INT(a->fires, 0);
    CHECK_INT(b->fires, 1);
    CHECK_INT(c->fires, 0);
    CHECK_INT(never->fires, 0);
    CHECK_INT(sla_timerwheel_count(w), 0);
    CHECK_INT(sla_timerwheel_next(w), INT64_MAX);
    sla_timerwheel_free(w);
}

static void test_reschedule(void)
{
    sla_timerwheel *w = sla_timerwheel_new(TA);
    item it[3];
    items_init(it, 3);
    item *a = &it[0], *b = &it[1], *c = &it[2];

    sla_timerwheel_schedule(w, &a->node, TA + MS_HOUR);
    sla_timerwheel_schedule(w, &a->node, TA + 10); /* earlier */
    sla_timerwheel_schedule(w, &b->node, TA + 10);
    sla_timerwheel_schedule(w, &b->node, TA + 2 * MS_DAY + 5); /* later */
    CHECK_INT(sla_timerwheel_count(w), 2);
    CHECK_INT(sla_timerwheel_next(w), TA + 10);

    step_each_ms(w, TA + 100);
    CHECK_INT(a->fires, 1);
    CHECK_INT(a->fired_at, TA + 10);
    CHECK_INT(b->fires, 0);

    /* a fired timer can be scheduled again */
    sla_timerwheel_schedule(w, &a->node, TA + 200);
    /* reschedule to the same time keeps one entry */
    sla_timerwheel_schedule(w, &a->node, TA + 200);
    CHECK_INT(sla_timerwheel_count(w), 2);
    /* a due timer moved to the future leaves the due list */
    sla_timerwheel_schedule(w, &c->node, TA);
    sla_timerwheel_schedule(w, &c->node, TA + 300);
    CHECK(sla_timerwheel_pop(w) == NULL);

    drive(w, TA + 3 * MS_DAY);
    CHECK_INT(a->fires, 2);
    CHECK_INT(a->fired_at, TA + 200);
    CHECK_INT(c->fires, 1);
    CHECK_INT(c->fired_at, TA + 300);
    CHECK_INT(b->fires, 1);
    CHECK_INT(b->fired_at, TA + 2 * MS_DAY + 5);
    CHECK_INT(sla_timerwheel_count(w), 0);
    sla_timerwheel_free(w);
}

static void test_same_ms(void)
{
    enum { N = 1000 };
    static item near[N], far[N];
    sla_timerwheel *w = sla_timerwheel_new(T0);
    for (int i = 0; i < N; i++) {
        item_init(&near[i]);
        item_init(&far[i]);
        sla_timerwheel_schedule(w, &near[i].node, T0 + 777);
        sla_timerwheel_schedule(w, &far[i].node, T0 + 7 * MS_DAY + 3);
    }
    CHECK_INT(sla_timerwheel_count(w), 2 * N);
    sla_timerwheel_advance(w, T0 + 776);
    CHECK_INT(drain(w), 0);
    sla_timerwheel_advance(w, T0 + 777);
    CHECK_INT(drain(w), N);
    sla_timerwheel_advance(w, T0 + 7 * MS_DAY + 2);
    CHECK_INT(drain(w), 0);
    CHECK_INT(sla_timerwheel_next(w), T0 + 7 * MS_DAY + 3);
    sla_timerwheel_advance(w, T0 + 7 * MS_DAY + 3);
    CHECK_INT(drain(w), N);
    int exact = 0;
    for (int i = 0; i < N; i++)
        exact += near[i].fired_at == T0 + 777 && far[i].fired_at == T0 + 7 * MS_DAY + 3;
    CHECK_INT(exact, N);
    CHECK_INT(sla_timerwheel_count(w), 0);
    sla_timerwheel_free(w);
}

/* splitmix64: tiny, seedable, good enough to spread test inputs. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
static int64_t rnd_below(int64_t n)
{
    return (int64_t)(rnd() % (uint64_t)n);
}

/*
 * One advance across a gap of years. An implementation that walks every
 * millisecond would take hours here (10^12 steps), so the test would hang
 * rather than pass.
 */
static void test_huge_gap(void)
{
    enum { N = 10000 };
    static item it[N];
    static int64_t when[N];
    rng_state = 42;

    sla_timerwheel *w = sla_timerwheel_new(0);
    sla_timerwheel_advance(w, 100 * MS_YEAR);
    CHECK_INT(sla_timerwheel_now(w), 100 * MS_YEAR);
    CHECK_INT(drain(w), 0);
    sla_timerwheel_free(w);

    w = sla_timerwheel_new(T0);
    for (int i = 0; i < N; i++) {
        item_init(&it[i]);
        when[i] = T0 + 1 + rnd_below(10 * MS_YEAR);
        sla_timerwheel_schedule(w, &it[i].node, when[i]);
    }
    int64_t cut = T0 + 5 * MS_YEAR;
    sla_timerwheel_advance(w, cut);
    int popped = drain(w);
    int expect = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        expect += when[i] <= cut;
        wrong += it[i].fires != (when[i] <= cut);
    }
    CHECK_INT(popped, expect);
    CHECK_INT(wrong, 0);
    CHECK_INT(sla_timerwheel_count(w), N - expect);
    sla_timerwheel_advance(w, T0 + 20 * MS_YEAR);
    CHECK_INT(drain(w), N - expect);
    CHECK_INT(sla_timerwheel_count(w), 0);
    sla_timerwheel_free(w);
}

/* Time is a plain int64_t: negative values and the ends of the range work. */
static void test_extremes(void)
{
    sla_timerwheel *w = sla_timerwheel_new(-100);
    item it[3];
    items_init(it, 3);
    item *a = &it[0], *b = &it[1], *c = &it[2];
    sla_timerwheel_schedule(w, &a->node, -50);
    sla_timerwheel_schedule(w, &b->node, 0);
    sla_timerwheel_schedule(w, &c->node, 70000);
    drive(w, 100000);
    CHECK_INT(a->fired_at, -50);
    CHECK_INT(b->fired_at, 0);
    CHECK_INT(c->fired_at, 70000);
    sla_timerwheel_free(w);

    /* "never": parked far away, costs nothing, still cancellable */
    w = sla_timerwheel_new(T0);
    items_init(it, 3);
    sla_timerwheel_schedule(w, &a->node, INT64_MAX);
    CHECK(sla_timerwheel_next(w) > T0);
    CHECK(sla_timerwheel_next(w) < INT64_MAX);
    sla_timerwheel_advance(w, T0 + 1000 * MS_YEAR);
    CHECK_INT(drain(w), 0);
    CHECK_INT(sla_timerwheel_count(w), 1);
    sla_timerwheel_cancel(w, &a->node);
    CHECK_INT(sla_timerwheel_count(w), 0);
    CHECK_INT(sla_timerwheel_next(w), INT64_MAX);
    sla_timerwheel_free(w);

    /* near the top of the range */
    w = sla_timerwheel_new(INT64_MAX - 100000);
    items_init(it, 3);
    sla_timerwheel_schedule(w, &a->node, INT64_MAX - 1);
    sla_timerwheel_schedule(w, &b->node, INT64_MAX);
    drive(w, INT64_MAX);
    CHECK_INT(a->fired_at, INT64_MAX - 1);
    CHECK_INT(b->fired_at, INT64_MAX);
    sla_timerwheel_free(w);
}

/* ------------------------------------------------------------------------
 * Property tests against a reference.
 */
enum { REF_M = 1024 };

typedef struct ref {
    item it[REF_M];
    int pending[REF_M];
    int64_t when[REF_M];
    size_t count;
    long bad; /* violations seen; reported once per test */
} ref;

static void ref_fail(ref *r, const char *what, int64_t now, int64_t a, int64_t b)
{
    if (r->bad++ < 10)
        fprintf(stderr, "property broken: %s (now %lld: %lld vs %lld)\n", what,
                (long long)now, (long long)a, (long long)b);
}

static void ref_schedule(ref *r, sla_timerwheel *w, int i, int64_t when)
{
    if (!r->pending[i])
        r->count++;
    r->pending[i] = 1;
    r->when[i] = when;
    sla_timerwheel_schedule(w, &r->it[i].node, when);
}

static void ref_cancel(ref *r, sla_timerwheel *w, int i)
{
    if (r->pending[i])
        r->count--;
    r->pending[i] = 0;
    sla_timerwheel_cancel(w, &r->it[i].node);
}

/*
 * Pop everything due and compare with the reference: each popped timer must
 * be pending there with when <= now (and, if `exact`, when == now); then no
 * pending reference timer may have when <= now. Together: popped set ==
 * reference due set. Also checks next() against the earliest pending when.
 */
static void ref_check_after_advance(ref *r, sla_timerwheel *w, int exact)
{
    int64_t now = sla_timerwheel_now(w);
    sla_timer *t;
    while ((t = sla_timerwheel_pop(w))) {
        int i = (int)(container_of(t, item, node) - r->it);
        if (i < 0 || i >= REF_M || !r->pending[i]) {
            ref_fail(r, "popped a timer that is not pending", now, i, 0);
            continue;
        }
        if (r->when[i] > now)
            ref_fail(r, "fired early", now, r->when[i], now);
        if (exact && r->when[i] != now)
            ref_fail(r, "fired late", now, r->when[i], now);
        if (t->next != NULL)
            ref_fail(r, "popped timer still linked", now, i, 0);
        r->pending[i] = 0;
        r->count--;
    }
    int64_t min = INT64_MAX;
    for (int i = 0; i < REF_M; i++) {
        if (!r->pending[i])
            continue;
        if (r->when[i] <= now)
            ref_fail(r, "due timer not popped", now, r->when[i], now);
        if (r->when[i] < min)
            min = r->when[i];
    }
    int64_t nx = sla_timerwheel_next(w);
    if (nx > min)
        ref_fail(r, "next() later than earliest when", now, nx, min);
    if (nx <= now)
        ref_fail(r, "next() not ahead of now with nothing due", now, nx, now);
    /* same 64 ms block as now: the earliest is in level 0, next() is exact */
    if (min != INT64_MAX && (((uint64_t)min ^ (uint64_t)now) >> 6) == 0 && nx != min)
        ref_fail(r, "next() not exact in level 0", now, nx, min);
    if (sla_timerwheel_count(w) != r->count)
        ref_fail(r, "count", now, (int64_t)sla_timerwheel_count(w), (int64_t)r->count);
}

/* A deadline offset drawn from near, medium, far and very far ranges. */
static int64_t rnd_offset(void)
{
    int64_t p = rnd_below(100);
    if (p < 45)
        return rnd_below(130);
    if (p < 70)
        return rnd_below(2 * MS_HOUR);
    if (p < 95)
        return rnd_below(10 * MS_YEAR);
    return rnd_below(400 * MS_YEAR);
}

/* Random schedule / cancel / reschedule / advance by arbitrary amounts. */
static void test_random_vs_reference(void)
{
    static ref r;
    memset(&r, 0, sizeof r);
    items_init(r.it, REF_M);
    rng_state = 20240611;
    sla_timerwheel *w = sla_timerwheel_new(T0);
    long advances = 0;

    for (long op = 0; op < 200000; op++) {
        int64_t now = sla_timerwheel_now(w);
        int i = (int)rnd_below(REF_M);
        int64_t p = rnd_below(100);
        if (p < 40) {
            /* schedule or reschedule; one in ten in the past */
            int past = rnd_below(10) == 0;
            int64_t when = past ? now - rnd_below(10000) : now + 1 + rnd_offset();
            ref_schedule(&r, w, i, when);
            if (past && sla_timerwheel_next(w) > now)
                ref_fail(&r, "next() ahead of now with a timer due", now, sla_timerwheel_next(w), now);
        } else if (p < 60) {
            ref_cancel(&r, w, i);
        } else {
            int64_t q = rnd_below(100), to;
            if (q < 50)
                to = now + rnd_below(70);
            else if (q < 80)
                to = now + rnd_below(5 * MS_HOUR);
            else if (q < 95)
                to = now + rnd_below(20 * MS_YEAR);
            else
                to = sla_timerwheel_next(w);
            if (to == INT64_MAX)
                to = now + 1;
            sla_timerwheel_advance(w, to);
            ref_check_after_advance(&r, w, 0);
            advances++;
        }
        if (sla_timerwheel_count(w) != r.count)
            ref_fail(&r, "count after op", now, (int64_t)sla_timerwheel_count(w), (int64_t)r.count);
    }
    CHECK(advances > 50000);
    CHECK_INT(r.bad, 0);
    sla_timerwheel_free(w);
}

/*
 * The daemon's loop: future deadlines only, time moved only to next().
 * Every timer must fire at exactly its `when`.
 */
static void test_driven_never_late(void)
{
    static ref r;
    memset(&r, 0, sizeof r);
    items_init(r.it, REF_M);
    rng_state = 7;
    sla_timerwheel *w = sla_timerwheel_new(T0);
    long fired_before = 0, steps = 0;

    for (long op = 0; op < 100000; op++) {
        int64_t now = sla_timerwheel_now(w);
        int i = (int)rnd_below(REF_M);
        int64_t p = rnd_below(100);
        if (p < 45) {
            ref_schedule(&r, w, i, now + 1 + rnd_offset());
        } else if (p < 60) {
            ref_cancel(&r, w, i);
        } else {
            int64_t nx = sla_timerwheel_next(w);
            if (nx == INT64_MAX)
                continue;
            size_t before = r.count;
            sla_timerwheel_advance(w, nx);
            ref_check_after_advance(&r, w, 1);
            fired_before += (long)(before - r.count);
            steps++;
        }
    }
    CHECK(steps > 30000);
    CHECK(fired_before > 10000);
    CHECK_INT(r.bad, 0);
    sla_timerwheel_free(w);
}

int main(void)
{
    test_near_exact();
    test_medium_far_exact();
    test_mixed_driven();
    test_past();
    test_cancel();
    test_reschedule();
    test_same_ms();
    test_huge_gap();
    test_extremes();
    test_random_vs_reference();
    test_driven_never_late();
    return CHECK_DONE();
}
