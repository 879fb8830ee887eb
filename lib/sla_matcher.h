/*
 * sla_matcher — sla_policy_resolve, compiled for one configuration.
 *
 * sla_policy_resolve() finds each condition's attribute by name in the
 * packed attributes, once per condition: with the shipped norms, 22
 * policies and about 30 lookups per ticket, although their conditions name
 * only 8 fields. The matcher does the name work once, when it is built:
 *
 *   - every distinct condition field gets a small index, and a well-known
 *     key (sla_attrpack) also its one-byte code;
 *   - conditions become (field index, op, values with their lengths);
 *   - resolving walks the ticket's packed attributes ONCE, projecting the
 *     value of each condition field (its first occurrence, as
 *     sla_attrpack_get finds it) into a slot per index, then evaluates the
 *     policies by index: an equality is a length check and a memcmp, a
 *     numeric value is parsed at most once per resolve.
 *
 * The result depends only on that projection, so resolutions are cached
 * by it: the projected tuple (per field: absent, or the value's bytes) is
 * hashed into a direct-mapped table of a few hundred entries; a hit needs
 * the stored tuple to be equal byte for byte (a hash collision only costs
 * a miss); a tuple longer than an entry's key room bypasses the cache.
 * Tickets vary mostly in attributes no policy looks at (assignee, customer,
 * subject), so a handful of tuples covers most of them.
 *
 * Semantics are exactly sla_policy_resolve's (the reference, kept and
 * tested against): first policy in file order that matches and defines the
 * metric; a condition on a missing field fails; equality on any listed
 * value; numeric ops need the whole value to parse as a number.
 *
 * Ownership: the matcher borrows cfg, which must outlive it (build a new
 * one for a new configuration), and owns everything else; free it with
 * sla_matcher_free. Resolving updates the cache and per-resolve scratch, so
 * a matcher serves one thread at a time.
 */
#ifndef SLA_MATCHER_H
#define SLA_MATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "sla_config.h"

typedef struct sla_matcher sla_matcher;

/* Cache entries of sla_matcher_new(). */
#define SLA_MATCHER_CACHE_SLOTS 256

typedef struct sla_matcher_stats {
    uint64_t hits;     /* resolved from the cache */
    uint64_t misses;   /* evaluated, then stored */
    uint64_t bypassed; /* evaluated, tuple too long to store (or no cache) */
} sla_matcher_stats;

/* A matcher for cfg (borrowed) with the default cache. NULL on OOM. */
sla_matcher *sla_matcher_new(const sla_config *cfg);

/*
 * The same with `slots` cache entries (rounded up to a power of two; 0: no
 * cache) and only the low `hash_bits` bits of the tuple hash kept (32: all;
 * 0 makes every tuple collide), for tests of the cache.
 */
sla_matcher *sla_matcher_new_tuned(const sla_config *cfg, size_t slots, unsigned hash_bits);

void sla_matcher_free(sla_matcher *m);

/*
 * Exactly sla_policy_resolve(cfg, attrs, attrs_len, out): attrs is a
 * well-formed compact form (sla_attrpack).
 */
void sla_matcher_resolve(sla_matcher *m, const char *attrs, size_t attrs_len,
                         unsigned char out[SLA_METRIC_COUNT]);

void sla_matcher_get_stats(const sla_matcher *m, sla_matcher_stats *out);

#endif
