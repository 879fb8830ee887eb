/*
 * test_tickettable — the ticket index under inserts, lookups, removals and
 * growth, checked against a plain array.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_tickettable.h"

static sla_ticket *make(const char *id)
{
    size_t len = strlen(id);
    sla_ticket *t = calloc(1, sla_ticket_size(0, len, 0));
    t->id_len = (uint8_t)len;
    memcpy(sla_ticket_id(t), id, len + 1);
    return t;
}

static int visits[200000];
static sla_ticket **walk_all;

static void count_visit(const sla_ticket *t, void *arg)
{
    (void)arg;
    visits[atoi(sla_ticket_id(t) + 2)]++;
}

/*
 * A walk in small slices while tickets are removed and inserted between
 * the slices: a ticket in the table for the whole walk is visited exactly
 * once, whatever moves around it; a ticket touched meanwhile at most once
 * per time it was inserted. Growth makes the walk start over.
 */
static void test_walk(void)
{
    enum { N = 60000, LIVE = 40000 };
    sla_tickettable tt;
    CHECK_INT(sla_tickettable_init(&tt), 0);
    static int present[N], touched[N];
    walk_all = calloc(N, sizeof *walk_all);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "W-%d", i);
        walk_all[i] = make(id);
    }
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < LIVE; i++) {
        sla_tickettable_insert(&tt, walk_all[i]);
        present[i] = 1;
    }
    /* Churn first, so that probe runs are long and wrap around. */
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < LIVE; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            int i = (int)(s % N);
            if (present[i]) {
                sla_tickettable_remove(&tt, walk_all[i]);
                present[i] = 0;
            } else if (tt.count < LIVE) {
                sla_tickettable_insert(&tt, walk_all[i]);
                present[i] = 1;
            }
        }
    }
    uint64_t epoch = tt.epoch;
    static int at_start[N];
    memcpy(at_start, present, sizeof at_start);
    memset(visits, 0, sizeof visits);
    sla_tickettable_cursor cur;
    sla_tickettable_cursor_reset(&cur);
    int r, slices = 0, inserts[N];
    memset(inserts, 0, sizeof inserts);
    while ((r = sla_tickettable_walk(&tt, &cur, 16, count_visit, NULL)) == SLA_WALK_PAUSED) {
        if (slices++ == 0)
            CHECK(tt.slots[cur.start] == NULL); /* began after an empty slot */
        /* The worst case: tickets just behind the cursor leave, so that
         * the probe runs across it shift back. */
        for (size_t back = 1; back <= 3; back++) {
            size_t at = (cur.start + cur.visited + tt.mask + 1 - back) & tt.mask;
            sla_ticket *t = tt.slots[at];
            if (t) {
                int i = atoi(sla_ticket_id(t) + 2);
                sla_tickettable_remove(&tt, t);
                present[i] = 0;
                touched[i] = 1;
            }
        }
        for (int k = 0; k < 24; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            int i = (int)(s % N);
            if (present[i]) {
                sla_tickettable_remove(&tt, walk_all[i]);
                present[i] = 0;
                touched[i] = 1;
            } else if (tt.count < LIVE) {
                sla_tickettable_insert(&tt, walk_all[i]);
                present[i] = 1;
                touched[i] = 1;
                inserts[i]++;
            }
        }
    }
    CHECK_INT(r, SLA_WALK_DONE);
    CHECK(tt.epoch == epoch);   /* no growth: the walk was never restarted */
    CHECK(slices > 1000);
    int missed = 0, twice = 0, extra = 0, ntouched = 0;
    for (int i = 0; i < N; i++) {
        ntouched += touched[i];
        if (at_start[i] && !touched[i] && visits[i] != 1)
            visits[i] == 0 ? missed++ : twice++;
        if (touched[i] && visits[i] > at_start[i] + inserts[i])
            extra++;
    }
    CHECK_INT(missed, 0);
    CHECK_INT(twice, 0);
    CHECK_INT(extra, 0);
    CHECK(ntouched > 1000);
    /* Growth in the middle of a walk: it says so and begins anew. */
    sla_tickettable_cursor_reset(&cur);
    CHECK_INT(sla_tickettable_walk(&tt, &cur, 16, count_visit, NULL), SLA_WALK_PAUSED);
    for (int i = 0; i < N; i++)
        if (!present[i]) {
            sla_tickettable_insert(&tt, walk_all[i]);
            present[i] = 1;
        }
    CHECK(tt.epoch != epoch);
    CHECK_INT(sla_tickettable_walk(&tt, &cur, 16, count_visit, NULL), SLA_WALK_RESTARTED);
    memset(visits, 0, sizeof visits);
    CHECK_INT(sla_tickettable_walk(&tt, &cur, SIZE_MAX, count_visit, NULL), SLA_WALK_DONE);
    int once = 0;
    for (int i = 0; i < N; i++)
        once += visits[i] == 1;
    CHECK_INT(once, N);
    sla_tickettable_release(&tt);
    for (int i = 0; i < N; i++)
        free(walk_all[i]);
    free(walk_all);
}

static size_t drained;

static void drain_free(sla_ticket *t, void *arg)
{
    (void)arg;
    drained++;
    free(t);
}

/*
 * Draining: each call hands over the tickets of at most `budget` slots
 * (budget 0 counts as 1), every ticket exactly once, and the call that
 * reaches the end releases the slots (ASan and valgrind see no leak).
 */
static void test_drain(void)
{
    enum { N = 5000, BUDGET = 100 };
    sla_tickettable tt;
    CHECK_INT(sla_tickettable_init(&tt), 0);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "D-%d", i);
        CHECK_INT(sla_tickettable_insert(&tt, make(id)), 0);
    }
    size_t cap = tt.mask + 1, pos = 0, calls = 0, most = 0;
    drained = 0;
    for (;;) {
        size_t before = drained;
        int done = sla_tickettable_drain(&tt, &pos, BUDGET, drain_free, NULL);
        calls++;
        if (drained - before > most)
            most = drained - before;
        if (done)
            break;
        CHECK(calls <= cap); /* never stuck */
        if (calls > cap)
            break;
    }
    CHECK_INT(drained, N);
    CHECK(most <= BUDGET);
    CHECK_INT(calls, (cap + BUDGET - 1) / BUDGET);
    CHECK(tt.slots == NULL);
    CHECK_INT(tt.count, 0);
    /* Again once done: nothing more. */
    CHECK_INT(sla_tickettable_drain(&tt, &pos, BUDGET, drain_free, NULL), 1);

    /* Budget 0 is one slot a call. */
    CHECK_INT(sla_tickettable_init(&tt), 0);
    CHECK_INT(sla_tickettable_insert(&tt, make("one")), 0);
    pos = 0;
    calls = 0;
    drained = 0;
    while (!sla_tickettable_drain(&tt, &pos, 0, drain_free, NULL))
        calls++;
    CHECK_INT(calls + 1, 1024);
    CHECK_INT(drained, 1);
}

int main(void)
{
    test_walk();
    test_drain();
    enum { N = 50000 };
    static sla_ticket *all[N];
    static int present[N];
    sla_tickettable tt;
    CHECK_INT(sla_tickettable_init(&tt), 0);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "T-%d", i);
        all[i] = make(id);
        CHECK(sla_tickettable_find(&tt, id, strlen(id)) == NULL);
        CHECK_INT(sla_tickettable_insert(&tt, all[i]), 0);
        present[i] = 1;
    }
    CHECK_INT(tt.count, N);
    /* Remove a pseudo-random half, re-insert some: backward-shift deletion
     * must keep every remaining key reachable. */
    uint64_t s = 88172645463325252ULL;
    for (int round = 0; round < 3 * N; round++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        int i = (int)(s % N);
        if (present[i]) {
            sla_tickettable_remove(&tt, all[i]);
            present[i] = 0;
        } else if (round % 3 == 0) {
            sla_tickettable_insert(&tt, all[i]);
            present[i] = 1;
        }
    }
    size_t expect = 0;
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "T-%d", i);
        sla_ticket *f = sla_tickettable_find(&tt, id, strlen(id));
        if ((present[i] && f != all[i]) || (!present[i] && f != NULL))
            wrong++;
        expect += (size_t)present[i];
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(tt.count, expect);
    /* Iteration visits each present ticket once. */
    size_t pos = 0, seen = 0;
    sla_ticket *t;
    while ((t = sla_tickettable_next(&tt, &pos)))
        seen++;
    CHECK_INT(seen, expect);
    /* A prefix or a longer id is not the same ticket. */
    CHECK(sla_tickettable_find(&tt, "T-", 2) == NULL);
    CHECK(sla_tickettable_find(&tt, "T-1x", 4) == NULL);
    /* A reallocated ticket takes its old place. */
    for (int i = 0; i < N; i++)
        if (present[i]) {
            sla_ticket *moved = make(sla_ticket_id(all[i]));
            sla_tickettable_replace(&tt, all[i], moved);
            free(all[i]);
            all[i] = moved;
            CHECK(sla_tickettable_find(&tt, sla_ticket_id(moved), moved->id_len) == moved);
            break;
        }
    /* Removing something absent is harmless. */
    sla_ticket *stranger = make("stranger");
    sla_tickettable_remove(&tt, stranger);
    CHECK_INT(tt.count, expect);
    free(stranger);
    sla_tickettable_release(&tt);
    for (int i = 0; i < N; i++)
        free(all[i]);
    return CHECK_DONE();
}
