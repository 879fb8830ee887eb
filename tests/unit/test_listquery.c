/*
 * test_listquery — the bounded top-N of due/breached queries against a
 * full sort of everything offered; and an engine query read in small
 * slices while tickets open and close between the slices.
 */
#include "check.h"

#include <stdlib.h>

#include "engine_fixture.h"
#include "sla_listquery.h"
#include "test_rng.h"

static int cmp_ref(const void *a, const void *b)
{
    const sla_due_item *x = a, *y = b;
    if (x->deadline_ms != y->deadline_ms)
        return x->deadline_ms < y->deadline_ms ? -1 : 1;
    int c = strcmp(x->ticket, y->ticket);
    return c ? c : x->metric - y->metric;
}

static void test_top_n(void)
{
    enum { N = 5000 };
    static char ids[N][16];
    static sla_due_item all[N];

    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "T%05d", (int)(rnd(100000)));
        /* Few distinct deadlines: ties are ordered by id, then metric. */
        all[i] = (sla_due_item){ids[i], (int)rnd(7),
                                (int64_t)rnd(50), 0, 0, -1, 0, "chat"};
    }
    static sla_due_item ref[N];
    memcpy(ref, all, sizeof ref);
    qsort(ref, N, sizeof *ref, cmp_ref);
    const size_t maxes[] = {1, 3, 100, 1000, N, N + 10};
    for (size_t k = 0; k < sizeof maxes / sizeof *maxes; k++) {
        sla_listquery *q = sla_listquery_new(0, 0, -1, maxes[k]);
        CHECK(q != NULL);
        for (int i = 0; i < N; i++)
            sla_listquery_offer(q, &all[i]);
        sla_listquery_finish(q);
        const sla_due_item *items;
        size_t n = sla_listquery_items(q, &items);
        CHECK_INT(q->total, N);
        CHECK_INT(n, maxes[k] < N ? maxes[k] : N);
        int wrong = 0;
        for (size_t i = 0; i < n; i++)
            if (cmp_ref(&items[i], &ref[i]) != 0 || items[i].ticket == ref[i].ticket ||
                strcmp(items[i].policy_name, "chat") != 0 || items[i].policy_name == ref[i].policy_name)
                wrong++; /* equal in order, and the id a copy */
        CHECK_INT(wrong, 0);
        sla_listquery_free(q);
    }
    CHECK(sla_listquery_new(0, 0, -1, 0) == NULL);
}

static const char policies[] =
    "policies = (\n"
    "  { name = \"chat\"; match = { channel = \"chat\"; };\n"
    "    first_response = { target = \"30s\"; escalate = ( { notify = [ \"team_lead\" ]; } ); };\n"
    "  } );\n";

/*
 * 3,000 chat tickets opened one second apart; a due query read 8 slots at
 * a time while, between slices, tickets close (answered) and new ones
 * open, enough of them to grow the table once. Every ticket open for the
 * whole query is listed exactly once, at its deadline, in order; nothing
 * closed before the query began is listed.
 */
static void test_sliced_engine_query(void)
{
    enum { N = 3000 };
    fixture fx;
    CHECK(fx_init(&fx, policies, T0) == 0);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "S%04d", i);
        fx_event(&fx, T0 + i * SEC, "ticket", id, "type", "ticket.opened", "channel", "chat",
                 NULL);
    }
    static int touched[4 * N];
    int64_t now = T0 + N * SEC;
    sla_listquery *q = sla_listquery_new(0, now, -1, 4 * N);
    CHECK(q != NULL);
    int slices = 0, opened = N, answered = 0;
    while (sla_engine_list_step(fx.eng, q, 8) == 0) {
        slices++;
        /* An early ticket answered, two new ones opened. */
        if (answered < N / 2) {
            snprintf(id, sizeof id, "S%04d", answered * 2);
            fx_event(&fx, now, "ticket", id, "type", "agent.reply", NULL);
            touched[answered * 2] = 1;
            answered++;
        }
        for (int k = 0; k < 2 && opened < 4 * N; k++, opened++) {
            snprintf(id, sizeof id, "S%04d", opened);
            fx_event(&fx, now, "ticket", id, "type", "ticket.opened", "channel", "chat", NULL);
            touched[opened] = 1;
        }
    }
    CHECK(slices > 100);
    const sla_due_item *items;
    size_t n = sla_listquery_items(q, &items);
    static int seen[4 * N];
    int out_of_order = 0, wrong_deadline = 0;
    for (size_t i = 0; i < n; i++) {
        int k = atoi(items[i].ticket + 1);
        seen[k]++;
        if (i > 0 && cmp_ref(&items[i - 1], &items[i]) >= 0)
            out_of_order++;
        if (k < N && items[i].deadline_ms != T0 + k * SEC + 30 * SEC)
            wrong_deadline++;
    }
    int missed = 0, twice = 0;
    for (int k = 0; k < 4 * N; k++) {
        if (k < N && !touched[k] && seen[k] != 1)
            seen[k] ? twice++ : missed++;
        if (seen[k] > 1)
            twice++;
    }
    CHECK_INT(missed, 0);
    CHECK_INT(twice, 0);
    CHECK_INT(out_of_order, 0);
    CHECK_INT(wrong_deadline, 0);
    CHECK_INT(q->total, n);
    sla_listquery_free(q);
    fx_release(&fx);
}

int main(void)
{
    test_top_n();
    test_sliced_engine_query();
    return CHECK_DONE();
}
