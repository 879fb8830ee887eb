/*
 * sla_varint — the variable-length integers of the stored formats.
 *
 * A varint is LEB128: seven bits a byte, low bits first, the high bit set
 * on every byte but the last; a uint64_t takes 1 to 10 bytes. A signed
 * difference is written as its zigzag code (2d for d >= 0, -2d - 1 below),
 * so that small distances either way stay short. The durable record
 * (sla_record) and the packed clocks (sla_clockpack) share these bytes, so
 * a change here changes both formats.
 *
 * Pure and header-only (the encoders sit in hot loops of the engine): no
 * allocation, the caller owns every buffer.
 */
#ifndef SLA_VARINT_H
#define SLA_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* How many bytes sla_varint_put() writes for v (1 to 10). */
static inline size_t sla_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v at p, which has room for sla_varint_len(v) bytes; returns the
 * byte after it. */
static inline unsigned char *sla_varint_put(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* Reads a varint from *p, not past end, into *out and advances *p past it.
 * Returns 0, or -1 where the bytes end first or run past 64 bits (then *p
 * has moved and *out is untouched). */
static inline int sla_varint_get(const unsigned char **p, const unsigned char *end,
                                 uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* The zigzag code of d, and back. */
static inline uint64_t sla_zigzag(int64_t d)
{
    return d < 0 ? ((uint64_t)(-(d + 1)) << 1) | 1 : (uint64_t)d << 1;
}

static inline int64_t sla_unzigzag(uint64_t z)
{
    return (z & 1) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
}

#endif
