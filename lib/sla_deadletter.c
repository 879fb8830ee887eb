/*
 * sla_deadletter — bounding the copy of a refused entry. See
 * sla_deadletter.h for the rules.
 *
 * One pass over the fields kept: each name and value is either kept whole
 * or cut to an excerpt, deciding in input order so that the first fields,
 * which usually say what the entry was (ticket, type), are the ones kept
 * whole. The work per field is bounded by the excerpt (sla_utf8_cut walks
 * at most SLA_DEAD_EXCERPT bytes), never proportional to the size of a value.
 */
#include "sla_deadletter.h"

#include <stdio.h>
#include <string.h>

#include "sla_textwidth.h"

/* The note being written; once full, it ends with "..." and takes no more. */
typedef struct note_buf {
    char *s;
    size_t len, used;
    int full;
} note_buf;

static void note_add(note_buf *nb, const char *piece)
{
    size_t plen = strlen(piece);
    if (nb->full || nb->len < 8)
        return;
    if (nb->used + plen + 4 > nb->len) { /* keep room for "..." and the NUL */
        nb->full = 1;
        memcpy(nb->s + nb->used, "...", 4);
        nb->used += 3;
        return;
    }
    memcpy(nb->s + nb->used, piece, plen + 1);
    nb->used += plen;
}

size_t sla_dead_excerpt(const sla_field *fields, size_t n, size_t total,
                        const sla_event_limits *lim, sla_field *out, char *note,
                        size_t note_len)
{
    sla_event_limits defaults;
    if (!lim) {
        sla_event_limits_default(&defaults);
        lim = &defaults;
    }
    if (total < n)
        total = n;
    size_t max_fields = lim->max_fields < SLA_EVENT_MAX_FIELDS ? lim->max_fields
                                                               : SLA_EVENT_MAX_FIELDS;
    size_t keep = n < max_fields ? n : max_fields;
    note_buf nb = {note, note_len, 0, 0};
    if (note_len)
        note[0] = '\0';

    size_t used = 0, ncut = 0;
    for (size_t i = 0; i < keep; i++) {
        const sla_field *f = &fields[i];
        size_t klen = f->key_len, vlen = f->val_len;
        int cut_key = klen > SLA_DEAD_NAME_MAX;
        if (cut_key)
            klen = sla_utf8_cut(f->key, f->key_len, SLA_DEAD_EXCERPT);
        int cut_val = vlen > lim->max_value_bytes || used + klen + vlen > lim->max_entry_bytes;
        if (cut_val)
            vlen = sla_utf8_cut(f->val, f->val_len, SLA_DEAD_EXCERPT);
        if (cut_val && vlen == f->val_len)
            cut_val = 0; /* short already: nothing to cut */
        used += klen + vlen;
        out[i] = (sla_field){f->key, klen, f->val, vlen};
        if (cut_key || cut_val) {
            char q[SLA_EVENT_QUOTE_SIZE], piece[SLA_EVENT_QUOTE_SIZE + 64];
            sla_event_quote(q, f->key, f->key_len);
            snprintf(piece, sizeof piece, "%s'%s' (%s%zu bytes)", ncut ? ", " : "cut ", q,
                     cut_val ? "" : "name of ", cut_val ? f->val_len : f->key_len);
            note_add(&nb, piece);
            ncut++;
        }
    }
    if (total > keep) {
        char piece[96];
        snprintf(piece, sizeof piece, "%s%zu fields dropped (%zu in all)", ncut ? "; " : "",
                 total - keep, total);
        note_add(&nb, piece);
    }
    return keep;
}
