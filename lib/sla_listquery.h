/*
 * sla_listquery — the answer of a "due" or "breached" query, gathered over
 * as many slices as the caller likes.
 *
 * A query asks for the `max` running clocks with the soonest deadlines that
 * pass its filter, and for how many passed in all. The engine reads its
 * tickets in slices (sla_engine_list_step) and offers each matching clock
 * here; the query keeps the `max` soonest in a bounded max-heap, so memory
 * is O(max) and an offer O(log max), whatever the number of tickets.
 * Ticket ids and policy names are copied: a ticket may close, and the
 * configuration be reloaded, between two slices.
 *
 * Order: deadline, then ticket id (bytewise), then metric (which tells a
 * ticket and a customer of the same id apart: their metrics differ).
 *
 * Ownership: the query owns its items and their ids; sla_listquery_items
 * lends them until the next offer, reset or free.
 */
#ifndef SLA_LISTQUERY_H
#define SLA_LISTQUERY_H

#include <stddef.h>
#include <stdint.h>

#include "sla_engine.h"
#include "sla_event.h"
#include "sla_tickettable.h"

typedef struct sla_listquery {
    /* What is asked (read by the engine). */
    int breached;       /* 1: recorded breaches; 0: clocks not breached yet */
    int64_t now_ms;     /* the query's time, fixed when it is made */
    int64_t within_ms;  /* due only: deadline <= now + within; < 0: any */
    size_t max;         /* items kept, >= 1 */
    int subject;        /* enum sla_subject to list, -1 (the default): every kind */

    /* Where the engine is (the engine's to write). */
    sla_tickettable_cursor cursor;
    size_t examined;    /* tickets read, over every restart */

    /* What was found. */
    size_t total;       /* clocks that passed the filter */
    size_t n;           /* items kept (<= max) */
    sla_due_item *items;/* heap order until sla_listquery_finish sorts them */
    char *ids;          /* max slots of SLA_LISTQUERY_ID_MAX + 1 bytes */
    char *names;        /* max slots of SLA_NAME_MAX + 1 bytes: policy names */
    size_t *slot_of;    /* items[i] keeps its id in slot slot_of[i] */
    int sorted;
} sla_listquery;

#define SLA_LISTQUERY_ID_MAX SLA_TICKET_MAX_LEN

/* A query; NULL on allocation failure or max == 0. Free with _free. */
sla_listquery *sla_listquery_new(int breached, int64_t now_ms, int64_t within_ms, size_t max);
void sla_listquery_free(sla_listquery *q);

/* Forget what was found (the walk begins again). */
void sla_listquery_reset(sla_listquery *q);

/* Count a matching clock and keep it if it is among the `max` soonest;
 * it->ticket is copied (ids longer than SLA_LISTQUERY_ID_MAX are cut). */
void sla_listquery_offer(sla_listquery *q, const sla_due_item *it);

/* Sort the kept items, soonest first. Call once the walk is done: no
 * offer may follow (until a reset). */
void sla_listquery_finish(sla_listquery *q);

/* The kept items (sorted after _finish), borrowed from q. */
static inline size_t sla_listquery_items(const sla_listquery *q, const sla_due_item **items)
{
    *items = q->items;
    return q->n;
}

#endif
