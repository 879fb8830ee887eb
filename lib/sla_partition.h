/*
 * sla_partition — which partition a ticket belongs to.
 *
 * partition = FNV-1a 32-bit hash of the ticket id's bytes, modulo the
 * partition count. The hash is fixed forever: producers in any language
 * compute it the same way (README "Partitions" gives it for Python, Go,
 * Java and Node with the same test vectors as tests/unit/test_partition.c),
 * so every event of a ticket lands in one partition's stream whoever wrote
 * it. The bytes are hashed as given: no Unicode normalisation, no case
 * folding, no trimming.
 *
 * FNV-1a 32: h = 2166136261; for each byte b: h = (h XOR b) * 16777619
 * modulo 2^32.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef SLA_PARTITION_H
#define SLA_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#define SLA_PARTITIONS_MAX 1024

/* The FNV-1a 32-bit hash of len bytes at id (id may be NULL when len is 0). */
uint32_t sla_partition_hash(const char *id, size_t len);

/*
 * The partition 0..partitions-1 of ticket id; -1 when partitions is not in
 * 1..SLA_PARTITIONS_MAX.
 */
int sla_partition_of(const char *id, size_t len, int partitions);

#endif
