/*
 * sla_keys — every Redis key name slad uses, built in one place.
 *
 * With the default single partition the keys are "<prefix>events",
 * "<prefix>dead", ... ("sla:events"). With partition p >= 0 each key carries
 * the Redis Cluster hash tag "{pN}" ("sla:{p3}:events") so that every
 * multi-key step (MULTI over state, outbox and XACK) of one partition stays
 * on one cluster node (SPEC section 8). No other module formats key names.
 */
#ifndef SLA_KEYS_H
#define SLA_KEYS_H

#define SLA_KEY_MAX 160

typedef struct sla_keys {
    char events[SLA_KEY_MAX];            /* input stream */
    char dead[SLA_KEY_MAX];              /* dead-lettered input entries */
    char state[SLA_KEY_MAX];             /* hash: ticket id -> state record */
    char escalations[SLA_KEY_MAX];       /* outbox / audit stream */
    char deliveries_dead[SLA_KEY_MAX];   /* deliveries past their retry budget */
    char report[SLA_KEY_MAX];            /* prefix of the day hashes: + "YYYY-MM-DD" */
    char lease[SLA_KEY_MAX];             /* the partition's lease: "<instance>/<epoch>", PX TTL */
    char lease_epoch[SLA_KEY_MAX];       /* counter of the partition's takes (sla_lease.h) */
    char instances[SLA_KEY_MAX];         /* sorted set of live instances; not per partition */
} sla_keys;

/* partition < 0: the single default partition. Returns 0, -1 if too long. */
int sla_keys_init(sla_keys *k, const char *prefix, int partition);

#endif
