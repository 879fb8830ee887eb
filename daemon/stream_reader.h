/*
 * stream_reader — one consumer of a Redis consumer group, as ingest and
 * delivery both read: the input stream and the outbox.
 *
 * It owns the reading protocol, the owner owns the pace. Each call of
 * stream_reader_read() sends at most one request, the first that applies:
 *
 *   XGROUP CREATE <stream> <group> 0 MKSTREAM     once per connection
 *   XAUTOCLAIM <stream> <group> <consumer> <idle> <cursor> COUNT n
 *                                                 every idle/2, until the
 *                                                 cursor is back at 0-0
 *   XREADGROUP ... COUNT n STREAMS <stream> <id>  own pending entries,
 *                                                 from 0, until none left
 *   XREADGROUP ... COUNT n [BLOCK b] STREAMS <stream> >
 *
 * and nothing while a request is in flight. A read of new entries blocks
 * only once an earlier one found the end of the stream (it brought fewer
 * entries than it asked for); after a start, a restart, a lost connection
 * or a full read it does not, so that catching up is seen at once. Entries come to the owner's
 * batch function (the reply's entry array, borrowed for the call; the
 * reader is ready for the next request when it is called, so the owner may
 * ask for the next batch before it handles this one). Whenever the reader
 * could read again without having handed over entries (a read that timed
 * out or found nothing, the group created, an error's retry due, a reply
 * lost with its connection or from before a restart), it calls the owner's
 * ready function, which decides whether to read.
 *
 * Taking over (XAUTOCLAIM) covers entries left pending by another
 * consumer of the group that died or was renamed; it runs on the claim
 * link, which may be the read link or another one (a blocking read holds
 * the read link). It also returns this consumer's own entries pending
 * that long, which an owner that holds entries for a while (delivery's
 * parked ones) already has: with a held function, the claim asks for ids
 * only (XAUTOCLAIM ... JUSTID), drops those the owner holds, and fetches
 * the others in full with one XCLAIM <stream> <group> <consumer> 0 <id>...
 * so that what the owner holds never crosses the link again, however
 * many entries it holds. Without one, XAUTOCLAIM returns the entries.
 *
 * Errors: NOGROUP (the group was deleted) creates it again and rereads
 * own pending entries; any other error reply waits a second, then calls
 * ready. A blocking read is guarded by a timer (block + 5 s): no reply by
 * then means the connection is dead, and the read link is reset.
 *
 * Replies carry the reader's epoch; stream_reader_restart() and a lost
 * connection change it, and a reply from an older epoch hands over
 * nothing (its entries stay pending and are read again).
 *
 * Ownership: the names in the configuration are copied; the links are
 * borrowed and must outlive the reader.
 */
#ifndef STREAM_READER_H
#define STREAM_READER_H

#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "redis_link.h"

typedef struct stream_reader stream_reader;

/* Whether the owner already holds entry id (NUL-terminated): 1 skips it
 * in a claim round. */
typedef int stream_reader_held_fn(const char *id, void *arg);

typedef struct stream_reader_config {
    const char *what;        /* for log lines: "ingest", "delivery" */
    const char *stream, *group, *consumer;
    redis_link *link;        /* XGROUP and XREADGROUP */
    redis_link *claim_link;  /* XAUTOCLAIM; may be link */
    int block_ms;            /* > 0 */
    int claim_idle_ms;       /* > 0 */
    int priority;            /* of the reader's timers (priority.h) */
    stream_reader_held_fn *held; /* NULL: claim entries in full (no JUSTID) */
} stream_reader_config;

/* entries: [[id, [field, value, ...]], ...], borrowed; claimed: taken over. */
typedef void stream_reader_batch_fn(const redisReply *entries, int claimed, void *arg);
/* The reader may read again; joined: the group was joined (once per connection). */
typedef void stream_reader_ready_fn(int joined, void *arg);

stream_reader *stream_reader_new(struct event_base *base, const stream_reader_config *cfg,
                                 stream_reader_batch_fn *batch, stream_reader_ready_fn *ready,
                                 void *arg);
void stream_reader_free(stream_reader *r);

/* Send the next request (count entries at most) unless one is in flight or
 * a retry is pending. Returns 1 when a request is in flight afterwards. */
int stream_reader_read(stream_reader *r, size_t count);

/*
 * Whether the last read of new entries found the end of the stream, with
 * no restart or lost connection since: everything that reached the stream
 * before Redis ran that read has been handed over. Updated before the
 * batch function of that read's entries is called.
 */
int stream_reader_at_end(const stream_reader *r);

/* Ignore the replies in flight; read own pending entries from the start. */
void stream_reader_restart(stream_reader *r);

/* The read link was lost: join again when it is back, pending first. */
void stream_reader_link_down(stream_reader *r);

#endif
