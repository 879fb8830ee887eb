/*
 * query — "due" and "breached" answered in slices that yield to the clocks.
 *
 * Reading every open ticket costs about 0.1-0.3 s at a million tickets;
 * done in one callback it would hold the engine's alarm that long. A query
 * here reads the engine's tickets a slice at a time (sla_engine_list_step,
 * at most QUERY_SLICE_US of work per turn of the event loop, at the
 * delivery priority), so a deadline falling due waits for one slice at
 * most, while the query's own answer takes as many turns as it needs.
 *
 * The engine may change between slices: a ticket is read in one of the
 * states it had while the query ran (sla_engine.h). If the engine is
 * rebuilt meanwhile (the state reloaded from Redis), the query ends with
 * an error.
 *
 * Partitioned (partitions > 1), a query reads the engine of every
 * partition this instance runs when it starts, one after the other, with
 * the same slices and priority, and answers the `max` soonest of them all
 * with the sum of their totals. A partition lost (its lease), reloaded or
 * still loading when its turn comes is left out, and the answer says which
 * and why (query_parts): the others are still answered.
 *
 * Ownership: query_start returns a handle owned by the module until done
 * is called (after which the query is freed) or the caller cancels it.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "sla_engine.h"

struct store; /* store.h */
#include "sla_listquery.h"

typedef struct query query;

/* Partitioned: the partitions read (ascending) and those left out, each
 * with a reason (a static string). */
typedef struct query_parts {
    int partitioned;         /* 0: the single store; the rest is empty */
    int *covered;
    int ncovered;
    int *skipped;
    const char **skipped_why;
    int nskipped;
} query_parts;

/*
 * The answer: lq complete and sorted, read from engine e (the current
 * one; NULL when partitioned: ask each item's partition), and which
 * partitions it covers; or lq == NULL with why set when the query could
 * not finish. All are only valid during the call; the query is freed
 * after it returns.
 */
typedef void query_done_fn(const sla_listquery *lq, sla_engine *e, const char *why,
                           const query_parts *parts, void *arg);

/* Work of one slice, in microseconds. */
#define QUERY_SLICE_US 500

/*
 * Start a query against the store's current engine, or with s == NULL
 * against the engines of every partition this instance runs now
 * (pipelines.h); the first slice runs on a later turn of the loop. subject: enum sla_subject to list, -1 every
 * kind. NULL on allocation failure.
 */
query *query_start(struct event_base *base, struct store *s, int breached, int subject, int64_t now_ms,
                   int64_t within_ms, size_t max, query_done_fn *done, void *arg);

/* Stop a query whose done has not been called yet; done will not be. */
void query_cancel(query *q);

#endif
