/*
 * sla_lease — how slad instances share partitions: the arithmetic only.
 *
 * Each instance holds partitions through leases kept in Redis (one key per
 * partition, with a TTL, renewed every ttl/3 while the instance lives) and
 * announces itself by a heartbeat key of the same TTL. From what it reads
 * back (the live instances, and for each partition: free or expired, held
 * by itself, held by another) every instance decides alone, by the rules
 * below, what to take and what to give back; nobody coordinates. With the
 * same inputs all instances converge on an even split:
 *
 *   share = ceil(partitions / live instances)
 *   - holding more than share: release the surplus, highest numbers first;
 *   - holding fewer: take free partitions up to share, scanning from
 *     (rank * partitions / live) upward (rank = the instance's place among
 *     the live names in byte order), so that instances starting together
 *     try different partitions first instead of racing for partition 0.
 *
 * Because share * live >= partitions, a partition stays free only while
 * some instance is under its share, and that instance takes it at its next
 * pass: every partition is owned again within a lease TTL plus one pass.
 * Taking is a SET NX in Redis, so two instances never both win one; the
 * plan only says what to try.
 *
 * Fencing (what makes a lease safe and not only polite) lives in Redis:
 * every commit of a partition checks the lease holds this instance's
 * token; the token is "<instance name>/<epoch>", the epoch counting
 * takeovers of that partition, so a paused owner that wakes up after a
 * takeover holds a token that no longer matches.
 *
 * Pure: no I/O, no clock (times are passed in), no allocation.
 */
#ifndef SLA_LEASE_H
#define SLA_LEASE_H

#include <stddef.h>
#include <stdint.h>

enum sla_lease_holder {
    SLA_LEASE_FREE = 0,   /* no lease key (never taken, released or expired) */
    SLA_LEASE_MINE,       /* held by this instance */
    SLA_LEASE_OTHER,      /* held by another instance */
};

enum sla_lease_action {
    SLA_LEASE_NONE = 0,   /* leave it as it is (keep renewing it if mine) */
    SLA_LEASE_TAKE,       /* try to acquire it */
    SLA_LEASE_RELEASE,    /* give it back */
};

/* ceil(partitions / live); 0 when either is < 1. */
int sla_lease_share(int partitions, int live);

/*
 * What this instance should do with each partition. holder[i] and
 * action[i] for i in 0..partitions-1; rank 0..live-1 is this instance's
 * place among the live instances (itself included). Returns the number of
 * partitions it will hold if every TAKE succeeds, or -1 on bad arguments.
 */
int sla_lease_plan(int partitions, int live, int rank, const enum sla_lease_holder *holder,
                   enum sla_lease_action *action);

/* When a lease renewed (or taken) at renewed_ms is next renewed: + ttl/3. */
int64_t sla_lease_renew_at(int64_t renewed_ms, int64_t ttl_ms);

/*
 * Whether this instance may still act for a lease whose last successful
 * renewal was *sent* at sent_ms (the TTL counts from when Redis ran it,
 * which is later): true until sent_ms + ttl. Past it, stop delivering and
 * committing for the partition until the lease is taken again. Fencing in
 * Redis still refuses a commit that arrives late; this keeps the instance
 * from trying.
 */
int sla_lease_valid(int64_t sent_ms, int64_t ttl_ms, int64_t now_ms);

#define SLA_LEASE_TOKEN_MAX 96

/* "<name>/<epoch>" into buf; 0, or -1 when it does not fit or name is empty. */
int sla_lease_token_format(char *buf, size_t len, const char *name, uint64_t epoch);

/*
 * Split a token of len bytes into the name's length and the epoch.
 * 0, or -1 when it is not "<non-empty name>/<decimal epoch>" (the last '/'
 * separates: a name may contain '/').
 */
int sla_lease_token_parse(const char *tok, size_t len, size_t *name_len, uint64_t *epoch);

#endif
