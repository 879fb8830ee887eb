/*
 * sla_record — a ticket's durable state as bytes.
 *
 * The record is what slad keeps in Redis (hash `sla:state`, field = ticket
 * id) so that a restarted daemon rebuilds every clock. It holds exactly
 * what cannot be recomputed: the last applied entry id, the attributes and,
 * for each clock that ever started, its times, cycle, state and ladder
 * progress. Policies are not stored: they are re-matched on load.
 *
 *   u8 version (1)
 *   varint last_ms, varint last_seq
 *   varint attrs_len, attrs bytes
 *   u8 clock mask (bit m: clock m follows)
 *   per clock: varint resume_ms, varint cycle, varint elapsed_ms,
 *              u8 state, u8 flags (warned | acked << 1 | source << 2),
 *              u8 fired
 *
 * Varints are LEB128, so the format is independent of the host's byte
 * order; a typical chat ticket encodes in about 40 bytes plus attributes.
 */
#ifndef SLA_RECORD_H
#define SLA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sla_ticket.h"

/* Upper bound of the encoded size of t. */
size_t sla_record_max_size(const sla_ticket *t);

/* Encode t into buf (at least sla_record_max_size(t) bytes); returns length. */
size_t sla_record_encode(const sla_ticket *t, unsigned char *buf);

/*
 * Decode into the clock and id fields of *t (timer, attrs and dirty_pos are
 * left alone). *attrs and *attrs_len point into rec. Returns 0, or -1 when
 * the record is truncated, has trailing bytes, an unknown version or
 * out-of-range values.
 */
int sla_record_decode(const unsigned char *rec, size_t len, sla_ticket *t, const char **attrs,
                      size_t *attrs_len);

#endif
