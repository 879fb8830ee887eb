/*
 * test_parked — the index of parked outbox entries (lib/sla_parked).
 *
 * The fixed cases check the promises one by one (refusals, order, owners);
 * a long random run checks the heap and the hash against a plain array
 * through growth, removals from the middle (drop_owner) and deletions that
 * shift probe runs back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sla_parked.h"

static void test_basics(void)
{
    sla_parked *p = sla_parked_new(3);
    int a, b;
    CHECK(p != NULL);
    CHECK_INT(sla_parked_count(p), 0);
    CHECK(sla_parked_next(p) == INT64_MAX);
    CHECK_INT(sla_parked_add(p, &a, "1700000000000-0", 300), 0);
    CHECK_INT(sla_parked_add(p, &a, "1700000000000-1", 100), 0);
    CHECK_INT(sla_parked_add(p, &a, "1700000000000-1", 50), -EEXIST);
    CHECK_INT(sla_parked_add(p, &b, "1700000000000-1", 200), 0); /* another owner's */
    CHECK_INT(sla_parked_add(p, &b, "1-2", 1), -ENOSPC);
    CHECK_INT(sla_parked_add(p, &b, "17x-0", 1), -EINVAL);
    CHECK_INT(sla_parked_add(p, &b, "17", 1), -EINVAL);
    CHECK_INT(sla_parked_add(p, &b, "-1-0", 1), -EINVAL);
    CHECK(sla_parked_has(p, &a, "1700000000000-1"));
    CHECK(!sla_parked_has(p, &a, "1700000000000-2"));
    CHECK(!sla_parked_has(p, &a, "garbage"));
    CHECK_INT(sla_parked_count(p), 3);
    CHECK_INT(sla_parked_next(p), 100);

    const void *owner;
    char id[48];
    int64_t at;
    CHECK_INT(sla_parked_pop_due(p, 99, &owner, id, sizeof id, &at), 0);
    CHECK_INT(sla_parked_pop_due(p, 250, &owner, id, sizeof id, &at), 1);
    CHECK(owner == &a && strcmp(id, "1700000000000-1") == 0 && at == 100);
    CHECK_INT(sla_parked_pop_due(p, 250, &owner, id, sizeof id, &at), 1);
    CHECK(owner == &b && strcmp(id, "1700000000000-1") == 0 && at == 200);
    CHECK_INT(sla_parked_pop_due(p, 250, &owner, id, sizeof id, &at), 0);
    CHECK(!sla_parked_has(p, &a, "1700000000000-1"));
    CHECK(sla_parked_has(p, &a, "1700000000000-0"));

    CHECK_INT(sla_parked_add(p, &b, "5-0", 10), 0);
    CHECK_INT(sla_parked_add(p, &b, "18446744073709551615-18446744073709551615", 20), 0);
    CHECK_INT(sla_parked_drop_owner(p, &b), 2);
    CHECK_INT(sla_parked_count(p), 1);
    CHECK_INT(sla_parked_next(p), 300);
    CHECK(!sla_parked_has(p, &b, "5-0"));
    CHECK_INT(sla_parked_drop_owner(p, &b), 0);
    sla_parked_free(p);
    CHECK(sla_parked_new(0) == NULL);
}

typedef struct model {
    int owner;
    uint64_t ms, seq;
    int64_t at;
    int in;
} model;

static uint64_t rng = 88172645463325252u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_against_model(void)
{
    enum { KEYS = 6000, MAX = 4000, STEPS = 20000 };
    static int owners[3];
    model *m = calloc(KEYS, sizeof *m);
    sla_parked *p = sla_parked_new(MAX);
    size_t in = 0, bad = 0;
    int64_t now = 0;
    for (size_t k = 0; k < KEYS; k++) {
        m[k].owner = (int)(k % 3);
        m[k].ms = 1700000000000u + k / 7; /* shared ms, so seq matters */
        m[k].seq = k % 7;
    }
    for (int step = 0; step < STEPS; step++) {
        uint64_t r = next_rand();
        size_t k = (size_t)(r % KEYS);
        char id[48];
        snprintf(id, sizeof id, "%llu-%llu", (unsigned long long)m[k].ms,
                 (unsigned long long)m[k].seq);
        int op = (int)((r >> 32) % 100);
        if (op < 55) {
            int64_t at = now + (int64_t)((r >> 40) % 1000);
            int rc = sla_parked_add(p, &owners[m[k].owner], id, at);
            int want = m[k].in ? -EEXIST : in >= MAX ? -ENOSPC : 0;
            bad += rc != want;
            if (rc == 0) {
                m[k].in = 1;
                m[k].at = at;
                in++;
            }
        } else if (op < 60) {
            bad += sla_parked_has(p, &owners[m[k].owner], id) != m[k].in;
        } else if (op < 99) {
            now += (int64_t)((r >> 40) % 20);
            const void *owner;
            char got[48];
            int64_t at;
            int64_t min = INT64_MAX;
            for (size_t j = 0; j < KEYS; j++)
                if (m[j].in && m[j].at < min)
                    min = m[j].at;
            bad += sla_parked_next(p) != min;
            if (sla_parked_pop_due(p, now, &owner, got, sizeof got, &at)) {
                bad += at != min || at > now;
                size_t j = 0;
                for (; j < KEYS; j++) {
                    char want[48];
                    snprintf(want, sizeof want, "%llu-%llu", (unsigned long long)m[j].ms,
                             (unsigned long long)m[j].seq);
                    if (m[j].in && owner == &owners[m[j].owner] && strcmp(want, got) == 0)
                        break;
                }
                bad += j == KEYS || m[j].at != at;
                if (j < KEYS) {
                    m[j].in = 0;
                    in--;
                }
            } else {
                bad += min <= now;
            }
        } else {
            int o = (int)((r >> 40) % 3);
            size_t want = 0;
            for (size_t j = 0; j < KEYS; j++)
                if (m[j].in && m[j].owner == o) {
                    m[j].in = 0;
                    want++;
                }
            bad += sla_parked_drop_owner(p, &owners[o]) != want;
            in -= want;
        }
        bad += sla_parked_count(p) != in;
    }
    for (size_t j = 0; j < KEYS; j++) {
        char id[48];
        snprintf(id, sizeof id, "%llu-%llu", (unsigned long long)m[j].ms,
                 (unsigned long long)m[j].seq);
        bad += sla_parked_has(p, &owners[m[j].owner], id) != m[j].in;
    }
    /* Drained in time order. */
    int64_t last = INT64_MIN;
    const void *owner;
    char got[48];
    int64_t at;
    while (sla_parked_pop_due(p, INT64_MAX, &owner, got, sizeof got, &at)) {
        bad += at < last;
        last = at;
        in--;
    }
    CHECK_INT(in, 0);
    CHECK_INT(bad, 0);
    sla_parked_free(p);
    free(m);
}

int main(void)
{
    test_basics();
    test_against_model();
    return CHECK_DONE();
}
