/*
 * sla_deadletter — what of a refused entry a dead letter keeps.
 *
 * A dead letter (sla:dead, sla:deliveries:dead) copies the fields of the
 * entry it refuses so that an operator can see and replay it. An entry may
 * be far larger than slad's limits (Redis takes values up to 512 MB), and
 * copying it whole made one oversize entry cost its size again in the dead
 * stream and in the transaction that writes it. So a dead letter keeps:
 *
 *   - at most limits.max_fields fields, the first ones; the others are
 *     dropped;
 *   - each name of at most SLA_DEAD_NAME_MAX bytes, each value of at most
 *     limits.max_value_bytes bytes whole, as long as the kept names and
 *     values stay within limits.max_entry_bytes;
 *   - of any other name or value an excerpt: its first SLA_DEAD_EXCERPT
 *     bytes, cut back to the start of a UTF-8 sequence so that a multibyte
 *     character is never split.
 *
 * What was cut is described in one note for the field `dead.truncated`:
 *   "cut 'subject' (8388608 bytes), 'notes' (9000000 bytes); 3 fields dropped (67 in all)"
 * The note is "" when nothing was cut; its names are quoted like the
 * reasons of sla_event (escaped, at most 40 bytes).
 *
 * A dead letter is therefore at most about
 *   max_entry_bytes + max_fields * 2 * SLA_DEAD_EXCERPT + the note
 * bytes, whatever the entry. Pure: no allocation, out borrows from fields.
 */
#ifndef SLA_DEADLETTER_H
#define SLA_DEADLETTER_H

#include <stddef.h>

#include "sla_event.h"

/* Bytes kept of a name or value that is cut. */
#define SLA_DEAD_EXCERPT 256
/* Longest name kept whole (the longest valid field name). */
#define SLA_DEAD_NAME_MAX 64
/* Room the note needs; a longer one is cut with "...". */
#define SLA_DEAD_NOTE_SIZE 1024

/* Excerpts are cut on a character boundary by sla_utf8_cut (sla_textwidth.h). */

/*
 * Bound fields[0..n) of an entry that has total fields in all (total >= n:
 * the caller may have looked at the first ones only) per the rules above.
 * Writes the kept fields to out (room for n; names and values borrowed
 * from fields, lengths possibly shorter) and returns their count; writes
 * the note to note (note_len bytes, NUL-terminated; "" when nothing was
 * cut). lim NULL means the defaults.
 */
size_t sla_dead_excerpt(const sla_field *fields, size_t n, size_t total,
                        const sla_event_limits *lim, sla_field *out, char *note,
                        size_t note_len);

#endif
