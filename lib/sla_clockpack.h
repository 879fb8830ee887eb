/*
 * sla_clockpack — the clocks of a subject at rest, packed.
 *
 * An open subject's clocks are sla_clock records of 16 bytes (sla_ticket.h),
 * which the engine reads and writes in place. A customer's five clocks
 * mostly hold what a few bytes say: started at its signing, first cycle,
 * nothing elapsed, nothing fired. Between two events the engine keeps a
 * customer's clocks in this packed form (sla_engine.c, "Subjects at rest"),
 * and widens them again before touching them.
 *
 * The packing is lossless: every field of every clock comes back bit for
 * bit (tests/unit/test_clockpack.c), so deadlines, which follow from the
 * clocks alone, are the same. Per clock, in the order of the array:
 *
 *   u8 head: state (bits 0-2) | source << 3 (bits 3-5)
 *            | 0x40: the start differs from the base (below)
 *            | 0x80: the cycle is not 1, or elapsed, warned, acked or
 *                    fired is not zero
 *   u8 policy
 *   [0x40] varint start (LEB128): k < 16, the time the k-th attribute of
 *          the subject holds (sla_clockpack_attr_time; only for a clock
 *          counting to a date, source SLA_TARGET_AHEAD: a reminder),
 *          else 16 + zigzag(resume_ms - base) (2d for a distance d >= 0,
 *          -2d - 1 below)
 *   [0x80] varint cycle, varint elapsed_ms, u8 warned | acked << 1, u8 fired
 *   (without 0x80: cycle 1, the rest 0)
 *
 * The base is the subject's generation (the time its life began), the
 * start of the clocks that begin with it, so those cost 2 bytes each; a
 * reminder counting to a date one of its attributes holds costs 3; a clock
 * started later costs the varint of its distance from the base. At most
 * SLA_CLOCKPACK_MAX bytes per clock. The attributes are the subject's
 * compact ones (sla_attrpack), the same when packing and unpacking.
 */
#ifndef SLA_CLOCKPACK_H
#define SLA_CLOCKPACK_H

#include <stddef.h>
#include <stdint.h>

#include "sla_ticket.h"

/* head 1, policy 1, start 8 (16 + 49 bits), cycle 3, elapsed 6, 2 */
#define SLA_CLOCKPACK_MAX 21

/* Bytes that n clocks pack into against this base and these attributes. */
size_t sla_clockpack_size(const sla_clock *c, size_t n, uint64_t base, const char *attrs,
                          size_t attrs_len);

/* Pack n clocks into out (sla_clockpack_size bytes); returns that size. */
size_t sla_clockpack_encode(const sla_clock *c, size_t n, uint64_t base, const char *attrs,
                            size_t attrs_len, unsigned char *out);

/*
 * Unpack n clocks from len bytes packed against base and attrs. Returns 0,
 * or -1 when the bytes are not exactly n packed clocks (a field out of
 * range, an attribute that holds no time, too short, bytes left over).
 */
int sla_clockpack_decode(const unsigned char *in, size_t len, size_t n, uint64_t base,
                         const char *attrs, size_t attrs_len, sla_clock *out);

/* The time a date attribute's value holds as a clock's start, the way the
 * engine reads reminder dates (sla_time_parse) clamped to 48 bits: 0, or
 * -1 when it holds none. */
int sla_clockpack_attr_time(const char *val, size_t len, uint64_t *out);

/* The position (< 16) of the first of the compact attributes holding the
 * time `start`, or -1. */
int sla_clockpack_start_attr(const char *attrs, size_t attrs_len, uint64_t start);

/*
 * A clock's wear as both the packed clocks and the durable record
 * (sla_record.h, version 5) write it: varint elapsed_ms (below 2^40),
 * u8 warned | acked << 1, u8 fired; at most 8 bytes. _put writes it at p
 * and returns the byte after it; _get reads it from *p, not past end, into
 * c and advances *p: 0, or -1 when a field is out of range or the bytes end
 * first.
 */
unsigned char *sla_clockpack_put_wear(unsigned char *p, const sla_clock *c);
int sla_clockpack_get_wear(const unsigned char **p, const unsigned char *end, sla_clock *c);

#endif
