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
 *
 * Partitioned, the engines are read one after the other, each with a
 * listquery of its own (a walk restarted by the table's growth resets only
 * that one); once an engine is done, its kept items are offered to the
 * merged answer, which keeps the `max` soonest of all, and its total added.
 */
#include "query.h"

#include <stdlib.h>
#include <time.h>

#include "pipelines.h"
#include "priority.h"
#include "store.h"
#include "wakeup.h"

/* Slots read between two looks at the clock: a few microseconds' work. */
#define QUERY_STEP_SLOTS 256

struct query {
    struct event *ev;
    sla_listquery *lq;     /* the engine being read */
    store *store;          /* borrowed: the single store (unpartitioned), else NULL */
    uint64_t serial;       /* the engine's (store_engine_serial) */
    /* Partitioned: */
    sla_listquery *merged; /* the answer over the engines read */
    size_t total;          /* their totals summed */
    int *todo;             /* partitions owned at the start, in order */
    uint64_t *epochs;      /* their runs then (pipelines_epoch) */
    int ntodo, at;         /* at: the one being read */
    int started;           /* todo[at]'s serial was taken */
    query_parts parts;
    query_done_fn *done;
    void *arg;
};

static void query_free(query *q)
{
    event_free(q->ev);
    sla_listquery_free(q->lq);
    sla_listquery_free(q->merged);
    free(q->todo);
    free(q->epochs);
    free(q->parts.covered);
    free(q->parts.skipped);
    free(q->parts.skipped_why);
    free(q);
}

/* The next slice after the loop has polled once: a zero timeout rather
 * than event_active, which could run it again in the same pass. */
static void query_next_slice(query *q)
{
    static const struct timeval zero = {0, 0};
    event_add(q->ev, &zero);
}

static void query_on_slice_single(query *q)
{
    sla_engine *e = store_engine(q->store);
    if (e == NULL || store_engine_serial(q->store) != q->serial) {
        q->done(NULL, NULL, "the state was reloaded from redis while the query ran; try again",
                &q->parts, q->arg);
        query_free(q);
        return;
    }
    int64_t until = wakeup_mono_us() + QUERY_SLICE_US;
    for (;;) {
        if (sla_engine_list_step(e, q->lq, QUERY_STEP_SLOTS)) {
            q->done(q->lq, e, NULL, &q->parts, q->arg);
            query_free(q);
            return;
        }
        if (wakeup_mono_us() >= until)
            break;
    }
    query_next_slice(q);
}

/* Partition todo[at] is left out of the answer, for why. */
static void query_skip(query *q, const char *why)
{
    q->parts.skipped[q->parts.nskipped] = q->todo[q->at];
    q->parts.skipped_why[q->parts.nskipped++] = why;
    q->at++;
    q->started = 0;
    sla_listquery_reset(q->lq);
}

static void query_on_slice_parts(query *q)
{
    int64_t until = wakeup_mono_us() + QUERY_SLICE_US;
    while (q->at < q->ntodo) {
        int p = q->todo[q->at];
        store *s = pipelines_store(p);
        sla_engine *e = store_engine(s);
        if (pipelines_epoch(p) != q->epochs[q->at]) {
            query_skip(q, "lost by this instance while the query ran");
            continue;
        }
        if (e == NULL) {
            query_skip(q, "its state is being loaded from redis");
            continue;
        }
        if (!q->started) {
            q->serial = store_engine_serial(s);
            q->started = 1;
        } else if (store_engine_serial(s) != q->serial) {
            query_skip(q, "its state was reloaded from redis while the query ran");
            continue;
        }
        if (sla_engine_list_step(e, q->lq, QUERY_STEP_SLOTS)) {
            const sla_due_item *items;
            size_t n = sla_listquery_items(q->lq, &items);
            for (size_t i = 0; i < n; i++)
                sla_listquery_offer(q->merged, &items[i]);
            q->total += q->lq->total;
            q->parts.covered[q->parts.ncovered++] = p;
            q->at++;
            q->started = 0;
            sla_listquery_reset(q->lq);
        }
        if (wakeup_mono_us() >= until) {
            query_next_slice(q);
            return;
        }
    }
    sla_listquery_finish(q->merged);
    q->merged->total = q->total;
    q->done(q->merged, NULL, NULL, &q->parts, q->arg);
    query_free(q);
}

static void query_on_slice(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    query *q = arg;
    if (q->store)
        query_on_slice_single(q);
    else
        query_on_slice_parts(q);
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
    if (q->lq == NULL || q->ev == NULL)
        goto fail;
    if (s == NULL) {
        int parts = pipelines_partitions();
        q->merged = sla_listquery_new(breached, now_ms, within_ms, max);
        q->todo = calloc((size_t)parts + 1, sizeof *q->todo);
        q->epochs = calloc((size_t)parts + 1, sizeof *q->epochs);
        q->parts.covered = calloc((size_t)parts + 1, sizeof *q->parts.covered);
        q->parts.skipped = calloc((size_t)parts + 1, sizeof *q->parts.skipped);
        q->parts.skipped_why = calloc((size_t)parts + 1, sizeof *q->parts.skipped_why);
        if (q->merged == NULL || q->todo == NULL || q->epochs == NULL ||
            q->parts.covered == NULL || q->parts.skipped == NULL || q->parts.skipped_why == NULL)
            goto fail;
        q->merged->subject = subject;
        q->parts.partitioned = 1;
        for (int p = 0; p < parts; p++)
            if (pipelines_epoch(p)) {
                q->todo[q->ntodo] = p;
                q->epochs[q->ntodo++] = pipelines_epoch(p);
            }
    } else {
        q->serial = store_engine_serial(s);
    }
    event_priority_set(q->ev, SLAD_PRIORITY_BULK);
    q->store = s;
    q->done = done;
    q->arg = arg;
    query_next_slice(q);
    return q;
fail:
    if (q->ev == NULL) {
        sla_listquery_free(q->lq);
        free(q);
        return NULL;
    }
    query_free(q);
    return NULL;
}

void query_cancel(query *q)
{
    if (q)
        query_free(q);
}
