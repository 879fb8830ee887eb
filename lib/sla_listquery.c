/*
 * sla_listquery — bounded top-N of due items. See sla_listquery.h.
 */
#include "sla_listquery.h"

#include <stdlib.h>
#include <string.h>

static int cmp_item(const sla_due_item *x, const sla_due_item *y)
{
    if (x->deadline_ms != y->deadline_ms)
        return x->deadline_ms < y->deadline_ms ? -1 : 1;
    int c = strcmp(x->ticket, y->ticket);
    if (c)
        return c;
    return (x->metric > y->metric) - (x->metric < y->metric);
}

sla_listquery *sla_listquery_new(int breached, int64_t now_ms, int64_t within_ms, size_t max)
{
    if (max == 0)
        return NULL;
    sla_listquery *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->breached = breached;
    q->now_ms = now_ms;
    q->within_ms = within_ms;
    q->max = max;
    q->subject = -1;
    q->items = calloc(max, sizeof *q->items);
    q->ids = malloc(max * (SLA_LISTQUERY_ID_MAX + 1));
    q->names = malloc(max * (SLA_NAME_MAX + 1));
    q->slot_of = malloc(max * sizeof *q->slot_of);
    if (!q->items || !q->ids || !q->names || !q->slot_of) {
        sla_listquery_free(q);
        return NULL;
    }
    return q;
}

void sla_listquery_free(sla_listquery *q)
{
    if (q == NULL)
        return;
    free(q->items);
    free(q->ids);
    free(q->names);
    free(q->slot_of);
    free(q);
}

void sla_listquery_reset(sla_listquery *q)
{
    sla_tickettable_cursor_reset(&q->cursor);
    q->total = q->n = 0;
    q->sorted = 0;
}

static void swap(sla_listquery *q, size_t a, size_t b)
{
    sla_due_item t = q->items[a];
    q->items[a] = q->items[b];
    q->items[b] = t;
    size_t s = q->slot_of[a];
    q->slot_of[a] = q->slot_of[b];
    q->slot_of[b] = s;
}

/* Max-heap on cmp_item: items[0] is the latest kept. */
static void sift_up(sla_listquery *q, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (cmp_item(&q->items[p], &q->items[i]) >= 0)
            break;
        swap(q, p, i);
        i = p;
    }
}

static void sift_down(sla_listquery *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && cmp_item(&q->items[l], &q->items[m]) > 0)
            m = l;
        if (r < q->n && cmp_item(&q->items[r], &q->items[m]) > 0)
            m = r;
        if (m == i)
            return;
        swap(q, i, m);
        i = m;
    }
}

static void keep(sla_listquery *q, size_t i, const sla_due_item *it, size_t slot)
{
    char *id = q->ids + slot * (SLA_LISTQUERY_ID_MAX + 1);
    size_t len = strlen(it->ticket);
    if (len > SLA_LISTQUERY_ID_MAX)
        len = SLA_LISTQUERY_ID_MAX;
    memcpy(id, it->ticket, len);
    id[len] = '\0';
    char *name = q->names + slot * (SLA_NAME_MAX + 1);
    const char *pn = it->policy_name ? it->policy_name : "";
    len = strlen(pn);
    if (len > SLA_NAME_MAX)
        len = SLA_NAME_MAX; /* never: names are at most SLA_NAME_MAX bytes */
    memcpy(name, pn, len);
    name[len] = '\0';
    q->items[i] = *it;
    q->items[i].ticket = id;
    q->items[i].policy_name = name;
    q->slot_of[i] = slot;
}

void sla_listquery_offer(sla_listquery *q, const sla_due_item *it)
{
    q->total++;
    q->sorted = 0;
    if (q->n < q->max) {
        size_t i = q->n++;
        keep(q, i, it, i);
        sift_up(q, i);
        return;
    }
    if (cmp_item(it, &q->items[0]) >= 0)
        return;
    keep(q, 0, it, q->slot_of[0]);
    sift_down(q, 0);
}

static int cmp_qsort(const void *a, const void *b) { return cmp_item(a, b); }

void sla_listquery_finish(sla_listquery *q)
{
    if (q->sorted)
        return;
    /* Sorting moves items but not their id slots: the ids stay put and
     * the items point at them; slot_of is no longer needed. */
    qsort(q->items, q->n, sizeof *q->items, cmp_qsort);
    q->sorted = 1;
}
