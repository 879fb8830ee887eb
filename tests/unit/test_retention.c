/*
 * test_retention — the id arithmetic of trimming streams: successors,
 * minimums, the age bound, and MINID = min(what rules want, what groups keep).
 */
#include "sla_retention.h"

#include "check.h"

#define ID(m, s) ((sla_streamid){(m), (s)})
#define SAME(a, b) ((a).ms == (b).ms && (a).seq == (b).seq)

static void test_ids(void)
{
    CHECK(SAME(sla_streamid_next(ID(5, 0)), ID(5, 1)));
    CHECK(SAME(sla_streamid_next(ID(5, UINT64_MAX)), ID(6, 0)));
    CHECK(SAME(sla_streamid_next(ID(UINT64_MAX, UINT64_MAX)), ID(UINT64_MAX, UINT64_MAX)));
    CHECK(SAME(sla_streamid_min(ID(5, 9), ID(6, 0)), ID(5, 9)));
    CHECK(SAME(sla_streamid_min(ID(6, 0), ID(5, 9)), ID(5, 9)));
    CHECK(SAME(sla_streamid_min(ID(5, 1), ID(5, 0)), ID(5, 0)));
}

static void test_age_cut(void)
{
    sla_streamid id = ID(77, 77);
    CHECK_INT(sla_retention_age_cut(1000000, 1000, &id), 1);
    CHECK(SAME(id, ID(999000, 0)));
    CHECK_INT(sla_retention_age_cut(1000, 1000, &id), 0); /* nothing that old */
    CHECK_INT(sla_retention_age_cut(1000000, 0, &id), 0); /* no age bound */
    CHECK_INT(sla_retention_age_cut(1000000, -5, &id), 0);
    CHECK(SAME(id, ID(999000, 0))); /* untouched when 0 */
}

static void test_minid(void)
{
    sla_trim t;
    sla_streamid m = ID(0, 0);

    /* No rule: nothing to trim, whatever the groups. */
    sla_trim_init(&t);
    sla_trim_keep(&t, ID(100, 0));
    CHECK_INT(sla_trim_minid(&t, &m), 0);

    /* A rule and no group: the rule. The larger of two rules wins. */
    sla_trim_init(&t);
    sla_trim_want(&t, ID(500, 0));
    sla_trim_want(&t, ID(700, 3));
    sla_trim_want(&t, ID(600, 0));
    CHECK_INT(sla_trim_minid(&t, &m), 1);
    CHECK(SAME(m, ID(700, 3)));

    /* A group's oldest pending entry and another's unread ones hold it back. */
    sla_trim_keep(&t, ID(650, 2));                          /* pending */
    sla_trim_keep(&t, sla_streamid_next(ID(680, 0)));       /* last delivered */
    CHECK_INT(sla_trim_minid(&t, &m), 1);
    CHECK(SAME(m, ID(650, 2)));
    sla_trim_keep(&t, sla_streamid_next(ID(640, UINT64_MAX)));
    CHECK_INT(sla_trim_minid(&t, &m), 1);
    CHECK(SAME(m, ID(641, 0)));

    /* Groups that are done ask for nothing. */
    sla_trim_init(&t);
    sla_trim_want(&t, ID(500, 0));
    sla_trim_keep(&t, sla_streamid_next(ID(900, 0)));
    CHECK_INT(sla_trim_minid(&t, &m), 1);
    CHECK(SAME(m, ID(500, 0)));

    /* A group that has read nothing (last delivered 0-0) keeps everything. */
    sla_trim_keep(&t, sla_streamid_next(ID(0, 0)));
    CHECK_INT(sla_trim_minid(&t, &m), 0);
}

int main(void)
{
    test_ids();
    test_age_cut();
    test_minid();
    return CHECK_DONE();
}
