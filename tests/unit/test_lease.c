/*
 * test_lease — partition sharing: the share, each instance's plan, and a
 * simulation of instances planning in turn against one lease table (the
 * SET NX of Redis: a take wins only on a free partition) through start,
 * a death and a join; renewal times; lease tokens; the Redis scripts
 * built into the library are lib/lua/'s files ($SLA_SOURCE_DIR, default
 * "."), byte for byte (tests/integration/test_lease_scripts.py runs those
 * files against a real redis-server).
 */
#include "check.h"

#include <stdlib.h>

#include "sla_lease.h"
#include "sla_lua_scripts.h"

#define P 16
#define MAXI 8

/* owner[i]: instance index holding partition i, or -1. */
static void one_pass(int *owner, const int *alive, int ninst, int me)
{
    int live = 0, rank = 0;
    for (int j = 0; j < ninst; j++) {
        live += alive[j];
        rank += alive[j] && j < me;
    }
    enum sla_lease_holder holder[P];
    enum sla_lease_action action[P];
    for (int i = 0; i < P; i++)
        holder[i] = owner[i] < 0 ? SLA_LEASE_FREE : owner[i] == me ? SLA_LEASE_MINE : SLA_LEASE_OTHER;
    CHECK(sla_lease_plan(P, live, rank, holder, action) >= 0);
    for (int i = 0; i < P; i++) {
        if (action[i] == SLA_LEASE_RELEASE) {
            CHECK_INT(owner[i], me);
            owner[i] = -1;
        } else if (action[i] == SLA_LEASE_TAKE) {
            CHECK_INT(holder[i], SLA_LEASE_FREE);
            if (owner[i] < 0)
                owner[i] = me;
        }
    }
}

/* Rounds (every live instance plans once) until nothing changes; -1 if none within 10. */
static int settle(int *owner, const int *alive, int ninst)
{
    for (int round = 1; round <= 10; round++) {
        int before[P];
        memcpy(before, owner, sizeof before);
        for (int j = 0; j < ninst; j++)
            if (alive[j])
                one_pass(owner, alive, ninst, j);
        if (memcmp(before, owner, sizeof before) == 0)
            return round;
    }
    return -1;
}

/* Every partition owned by a live instance, none over share; returns the smallest count. */
static int check_split(const int *owner, const int *alive, int ninst)
{
    int count[MAXI] = {0}, live = 0;
    for (int j = 0; j < ninst; j++)
        live += alive[j];
    for (int i = 0; i < P; i++) {
        CHECK(owner[i] >= 0 && alive[owner[i]]);
        if (owner[i] >= 0)
            count[owner[i]]++;
    }
    int least = P;
    for (int j = 0; j < ninst; j++)
        if (alive[j]) {
            CHECK(count[j] <= sla_lease_share(P, live));
            if (count[j] < least)
                least = count[j];
        }
    return least;
}

static void test_share_and_plan(void)
{
    CHECK_INT(sla_lease_share(16, 3), 6);
    CHECK_INT(sla_lease_share(16, 4), 4);
    CHECK_INT(sla_lease_share(16, 1), 16);
    CHECK_INT(sla_lease_share(1, 3), 1);
    CHECK_INT(sla_lease_share(16, 0), 0);
    CHECK_INT(sla_lease_share(0, 2), 0);

    enum sla_lease_holder h[P] = {0};
    enum sla_lease_action a[P];
    CHECK_INT(sla_lease_plan(P, 0, 0, h, a), -1);
    CHECK_INT(sla_lease_plan(P, 2, 2, h, a), -1);
    CHECK_INT(sla_lease_plan(P, 2, -1, h, a), -1);
    /* Rank 1 of 2 on an empty table: takes 8..15, starting at 16 * 1 / 2. */
    CHECK_INT(sla_lease_plan(P, 2, 1, h, a), 8);
    for (int i = 0; i < P; i++)
        CHECK_INT(a[i], i >= 8 ? SLA_LEASE_TAKE : SLA_LEASE_NONE);
    /* Holding all 16 when a second instance appears: releases the top 8. */
    for (int i = 0; i < P; i++)
        h[i] = SLA_LEASE_MINE;
    CHECK_INT(sla_lease_plan(P, 2, 0, h, a), 8);
    for (int i = 0; i < P; i++)
        CHECK_INT(a[i], i >= 8 ? SLA_LEASE_RELEASE : SLA_LEASE_NONE);
    /* Others hold everything else: nothing to take, the 2 held are kept. */
    for (int i = 0; i < P; i++)
        h[i] = i < 2 ? SLA_LEASE_MINE : SLA_LEASE_OTHER;
    CHECK_INT(sla_lease_plan(P, 3, 2, h, a), 2);
    for (int i = 0; i < P; i++)
        CHECK_INT(a[i], SLA_LEASE_NONE);
}

static void test_simulation(void)
{
    int owner[P], alive[MAXI] = {1, 1, 1};
    for (int i = 0; i < P; i++)
        owner[i] = -1;
    /* Three start together: settled (a round with no change) after two rounds. */
    CHECK_INT(settle(owner, alive, 3), 2);
    CHECK(check_split(owner, alive, 3) >= 4); /* 6, 6, 4 */

    /* Instance 1 dies: its leases expire; the two left own all 16 in one round. */
    alive[1] = 0;
    for (int i = 0; i < P; i++)
        if (owner[i] == 1)
            owner[i] = -1;
    for (int j = 0; j < 3; j++)
        if (alive[j])
            one_pass(owner, alive, 3, j);
    CHECK_INT(check_split(owner, alive, 3), 8);

    /* Two join (instance 1 back, 3 new): four of four each once settled. */
    alive[1] = alive[3] = 1;
    CHECK(settle(owner, alive, 4) > 0);
    CHECK_INT(check_split(owner, alive, 4), 4);

    /* More instances than partitions: one each at most, all owned. */
    int few[2] = {-1, -1};
    enum sla_lease_holder h[2];
    enum sla_lease_action a[2];
    for (int me = 0; me < 5; me++) {
        for (int i = 0; i < 2; i++)
            h[i] = few[i] < 0 ? SLA_LEASE_FREE : few[i] == me ? SLA_LEASE_MINE : SLA_LEASE_OTHER;
        CHECK(sla_lease_plan(2, 5, me, h, a) <= 1);
        for (int i = 0; i < 2; i++)
            if (a[i] == SLA_LEASE_TAKE && few[i] < 0)
                few[i] = me;
    }
    CHECK(few[0] >= 0 && few[1] >= 0 && few[0] != few[1]);
}

static void test_times_and_tokens(void)
{
    CHECK_INT(sla_lease_renew_at(1000, 5000), 2666);
    CHECK(sla_lease_valid(1000, 5000, 5999));
    CHECK(!sla_lease_valid(1000, 5000, 6000));

    char buf[SLA_LEASE_TOKEN_MAX];
    size_t name_len;
    uint64_t epoch;
    CHECK_INT(sla_lease_token_format(buf, sizeof buf, "slad-a", 42), 0);
    CHECK_STR(buf, "slad-a/42");
    CHECK_INT(sla_lease_token_parse(buf, strlen(buf), &name_len, &epoch), 0);
    CHECK_INT(name_len, 6);
    CHECK_INT(epoch, 42);
    CHECK_INT(sla_lease_token_parse("a/b/18446744073709551615", 24, &name_len, &epoch), 0);
    CHECK_INT(name_len, 3);
    CHECK(epoch == UINT64_MAX);
    CHECK_INT(sla_lease_token_parse("a/18446744073709551616", 22, &name_len, &epoch), -1);
    CHECK_INT(sla_lease_token_parse("/7", 2, &name_len, &epoch), -1);
    CHECK_INT(sla_lease_token_parse("a/", 2, &name_len, &epoch), -1);
    CHECK_INT(sla_lease_token_parse("a7", 2, &name_len, &epoch), -1);
    CHECK_INT(sla_lease_token_parse("a/7x", 4, &name_len, &epoch), -1);
    CHECK_INT(sla_lease_token_format(buf, sizeof buf, "", 1), -1);
    CHECK_INT(sla_lease_token_format(buf, 8, "slad-a", 100), -1);
}

static void check_script(const char *name, const char *embedded)
{
    const char *src = getenv("SLA_SOURCE_DIR");
    char path[4096], text[8192];
    snprintf(path, sizeof path, "%s/lib/lua/%s.lua", src && *src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    CHECK_STR(embedded, text);
}

int main(void)
{
    check_script("lease_take", SLA_LUA_LEASE_TAKE);
    check_script("lease_renew", SLA_LUA_LEASE_RENEW);
    check_script("lease_release", SLA_LUA_LEASE_RELEASE);
    check_script("fenced", SLA_LUA_FENCED);
    check_script("instances", SLA_LUA_INSTANCES);
    test_share_and_plan();
    test_simulation();
    test_times_and_tokens();
    return CHECK_DONE();
}
