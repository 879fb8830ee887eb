/*
 * test_ratelimit — both sliding windows, unlimited receivers, and the
 * "not before" answer.
 */
#include <errno.h>

#include "check.h"
#include "sla_ratelimit.h"

static void test_unlimited(void)
{
    sla_ratelimit rl;
    CHECK_INT(sla_ratelimit_init(&rl, 0, 0), 0);
    for (int i = 0; i < 1000; i++)
        CHECK_INT(sla_ratelimit_take(&rl, 5, NULL), 1);
    CHECK_INT(sla_ratelimit_next(&rl, 5), 5);
    sla_ratelimit_release(&rl);
}

static void test_per_second(void)
{
    sla_ratelimit rl;
    int64_t nb = 0;
    CHECK_INT(sla_ratelimit_init(&rl, 2, 0), 0);
    CHECK_INT(sla_ratelimit_take(&rl, 1000, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 1400, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 1500, &nb), 0);
    CHECK_INT(nb, 2000); /* one second after the oldest of the last two */
    CHECK_INT(sla_ratelimit_next(&rl, 1500), 2000);
    CHECK_INT(sla_ratelimit_take(&rl, 1999, &nb), 0);
    CHECK_INT(sla_ratelimit_take(&rl, 2000, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 2000, &nb), 0);
    CHECK_INT(nb, 2400);
    CHECK_INT(sla_ratelimit_take(&rl, 2400, NULL), 1);
    sla_ratelimit_release(&rl);
}

static void test_per_minute_slides(void)
{
    /* DingTalk-like: 20 a minute. */
    sla_ratelimit rl;
    int64_t nb = 0;
    CHECK_INT(sla_ratelimit_init(&rl, 0, 20), 0);
    for (int i = 0; i < 20; i++)
        CHECK_INT(sla_ratelimit_take(&rl, 10000 + i * 1000, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 30000, &nb), 0);
    CHECK_INT(nb, 70000);
    /* The window slides: at 70 s the first send drops out, one more may go. */
    CHECK_INT(sla_ratelimit_take(&rl, 70000, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 70000, &nb), 0);
    CHECK_INT(nb, 71000);

    /* Whatever the pattern, no 60 s window ever holds more than 20 sends. */
    int64_t sent[400];
    int nsent = 0, ok = 1;
    sla_ratelimit_release(&rl);
    CHECK_INT(sla_ratelimit_init(&rl, 0, 20), 0);
    for (int64_t t = 0; t < 300000 && nsent < 400; t += 700)
        if (sla_ratelimit_take(&rl, t, NULL) == 1)
            sent[nsent++] = t;
    for (int i = 0; i + 20 < nsent; i++)
        if (sent[i + 20] - sent[i] < 60000)
            ok = 0;
    CHECK(ok);
    CHECK(nsent >= 100); /* and it does let the full rate through */
    sla_ratelimit_release(&rl);
}

static void test_both_windows(void)
{
    sla_ratelimit rl;
    int64_t nb = 0;
    CHECK_INT(sla_ratelimit_init(&rl, 5, 6), 0);
    for (int i = 0; i < 5; i++)
        CHECK_INT(sla_ratelimit_take(&rl, 0, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 0, &nb), 0);
    CHECK_INT(nb, 1000); /* the second window decides */
    CHECK_INT(sla_ratelimit_take(&rl, 1000, &nb), 1);
    CHECK_INT(sla_ratelimit_take(&rl, 1000, &nb), 0);
    CHECK_INT(nb, 60000); /* now the minute window decides */
    CHECK_INT(sla_ratelimit_next(&rl, 59999), 60000);
    CHECK_INT(sla_ratelimit_next(&rl, 60000), 60000);
    sla_ratelimit_release(&rl);
}

static void test_bad_limits(void)
{
    sla_ratelimit rl;
    /* The caller's memory is garbage before init, as an uninitialised
     * stack variable is: a refused first window must not free it. */
    memset(&rl, 0xa5, sizeof rl);
    CHECK_INT(sla_ratelimit_init(&rl, -1, 0), -EINVAL);
    CHECK(rl.second.sent == NULL && rl.minute.sent == NULL);
    memset(&rl, 0xa5, sizeof rl);
    CHECK_INT(sla_ratelimit_init(&rl, SLA_RATELIMIT_MAX + 1, 5), -EINVAL);
    CHECK(rl.second.sent == NULL && rl.minute.sent == NULL);
    CHECK_INT(sla_ratelimit_init(&rl, 0, SLA_RATELIMIT_MAX + 1), -EINVAL);
    CHECK_INT(sla_ratelimit_init(&rl, 1, SLA_RATELIMIT_MAX), 0);
    sla_ratelimit_release(&rl);
}

int main(void)
{
    test_unlimited();
    test_per_second();
    test_per_minute_slides();
    test_both_windows();
    test_bad_limits();
    return CHECK_DONE();
}
