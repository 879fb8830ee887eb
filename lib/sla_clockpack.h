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
 *            | 0x80: elapsed, warned, acked or fired is not zero
 *   u8 policy
 *   varint cycle (LEB128)
 *   [0x40] varint zigzag(resume_ms - base)
 *   [0x80] varint elapsed_ms, u8 warned | acked << 1, u8 fired
 *
 * The base is the subject's generation (the time its life began), the
 * start of the clocks that begin with it, so those cost 3 bytes each; a
 * clock started later or holding a date costs the varint of its distance
 * from it. At most SLA_CLOCKPACK_MAX bytes per clock.
 */
#ifndef SLA_CLOCKPACK_H
#define SLA_CLOCKPACK_H

#include <stddef.h>
#include <stdint.h>

#include "sla_ticket.h"

/* head 1, policy 1, cycle 3, zigzag delta 8 (49 bits), elapsed 6, 2 */
#define SLA_CLOCKPACK_MAX 21

/* Bytes that n clocks pack into against this base. */
size_t sla_clockpack_size(const sla_clock *c, size_t n, uint64_t base);

/* Pack n clocks into out (sla_clockpack_size bytes); returns that size. */
size_t sla_clockpack_encode(const sla_clock *c, size_t n, uint64_t base, unsigned char *out);

/*
 * Unpack n clocks from len bytes packed against base. Returns 0, or -1
 * when the bytes are not exactly n packed clocks (a field out of range,
 * too short, bytes left over).
 */
int sla_clockpack_decode(const unsigned char *in, size_t len, size_t n, uint64_t base,
                         sla_clock *out);

#endif
