/*
 * sla_record — a ticket's durable state as bytes.
 *
 * The record is what slad keeps in Redis (hash `sla:state`, field = ticket
 * id) so that a restarted daemon rebuilds every clock. It holds exactly
 * what cannot be recomputed: the last applied entry id, the attributes and,
 * for each clock that ever started, its times, cycle, state and ladder
 * progress. Policies are not stored: they are re-matched on load.
 *
 *   u8 version (2)
 *   varint last_ms, varint last_seq
 *   varint attrs_len, attrs bytes (compact, sla_attrpack)
 *   u8 ticket flags (bit 0: resolved)
 *   u8 clock mask (bit m: clock m follows)
 *   per clock: varint resume_ms, varint cycle, varint elapsed_ms,
 *              u8 state, u8 flags (warned | acked << 1 | source << 2),
 *              u8 fired
 *
 * Varints are LEB128, so the format is independent of the host's byte
 * order; a typical chat ticket encodes in about 40 bytes plus attributes.
 * Version 1 had no ticket flags; such a record is still read, its ticket
 * resolved when its resolution clock is met (which only ticket.resolved
 * does).
 */
#ifndef SLA_RECORD_H
#define SLA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sla_ticket.h"

/* A decoded record: clocks by metric (state IDLE for those absent). */
typedef struct sla_record_view {
    uint64_t last_ms, last_seq;
    const char *attrs;   /* compact attributes (sla_attrpack), borrowed from the record */
    size_t attrs_len;
    int resolved;        /* sla_ticket.resolved */
    sla_clock clocks[SLA_METRIC_COUNT];
} sla_record_view;

/* Upper bound of the encoded size of t. */
size_t sla_record_max_size(const sla_ticket *t);

/* Encode t into buf (at least sla_record_max_size(t) bytes); returns length. */
size_t sla_record_encode(const sla_ticket *t, unsigned char *buf);

/*
 * Decode rec into *out (attrs point into rec). Returns 0, or -1 when the
 * record is truncated, has trailing bytes, an unknown version, malformed
 * attributes or out-of-range values.
 */
int sla_record_decode(const unsigned char *rec, size_t len, sla_record_view *out);

#endif
