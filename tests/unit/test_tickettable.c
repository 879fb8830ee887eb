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

int main(void)
{
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
