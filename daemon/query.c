/*
 * query — sliced due/breached queries. See query.h.
 *
 * Each query has one timer of its own, armed with a zero timeout for its
 * next slice.
 * A slice reads table slots in steps of QUERY_STEP_SLOTS and looks at the
 * monotonic clock after each step, stopping once QUERY_SLICE_US have
 * passed; the event runs at SLAD_PRIORITY_BULK, so the alarm and input are
 * served first and main.c's dispatch bound returns to them within about a
 * millisecond.
 */
#include "query.h"

#include <stdlib.h>
#include <time.h>

#include "priority.h"
#include "store.h"
#include "wakeup.h"

/* Slots read between two looks at the clock: a few microseconds' work. */
#define QUERY_STEP_SLOTS 256

struct query {
    struct event *ev;
    sla_listquery *lq;
    store *store;    /* borrowed: it outlives every query (control_finish first) */
    uint64_t serial; /* the engine's (store_engine_serial) */
    query_done_fn *done;
    void *arg;
};

static void query_free(query *q)
{
    event_free(q->ev);
    sla_listquery_free(q->lq);
    free(q);
}

/* The next slice after the loop has polled once: a zero timeout rather
 * than event_active, which could run it again in the same pass. */
static void query_next_slice(query *q)
{
    static const struct timeval zero = {0, 0};
    event_add(q->ev, &zero);
}

static void query_on_slice(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    query *q = arg;
    sla_engine *e = store_engine(q->store);
    if (e == NULL || store_engine_serial(q->store) != q->serial) {
        q->done(NULL, NULL, "the state was reloaded from redis while the query ran; try again",
                q->arg);
        query_free(q);
        return;
    }
    int64_t until = wakeup_mono_us() + QUERY_SLICE_US;
    for (;;) {
        if (sla_engine_list_step(e, q->lq, QUERY_STEP_SLOTS)) {
            q->done(q->lq, e, NULL, q->arg);
            query_free(q);
            return;
        }
        if (wakeup_mono_us() >= until)
            break;
    }
    query_next_slice(q);
}

query *query_start(struct event_base *base, store *s, int breached, int subject, int64_t now_ms,
                   int64_t within_ms, size_t max, query_done_fn *done, void *arg)
{
    query *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->lq = sla_listquery_new(breached, now_ms, within_ms, max);
    if (q->lq)
        q->lq->subject = subject;
    q->ev = event_new(base, -1, 0, query_on_slice, q);
    if (q->lq == NULL || q->ev == NULL) {
        sla_listquery_free(q->lq);
        if (q->ev)
            event_free(q->ev);
        free(q);
        return NULL;
    }
    event_priority_set(q->ev, SLAD_PRIORITY_BULK);
    q->store = s;
    q->serial = store_engine_serial(s);
    q->done = done;
    q->arg = arg;
    query_next_slice(q);
    return q;
}

void query_cancel(query *q)
{
    if (q)
        query_free(q);
}
