/*
 * reply_arena — hiredis reply objects carved from one reusable region.
 *
 * hiredis builds every reply as a tree of malloc'd objects: a batch of
 * 1000 stream entries with eight fields each is some 20,000 allocations,
 * all freed again right after the reply callback. That churn (and glibc's
 * malloc_consolidate, which the next large allocation then runs over the
 * freed chunks) was the largest single cost of ingest.
 *
 * reply_arena_attach() gives a hiredis context reply functions that carve
 * objects from a region of reusable chunks instead. Reply objects keep
 * hiredis's own layout (redisReply), so every reader of a reply is
 * unchanged; only freeing differs: the region is rewound when the last
 * reply alive in it is freed. hiredis frees only whole replies (the root of
 * a tree), and it frees each reply right after its callback returns, so at
 * most a few replies are alive at once: the one being handled and, on
 * other connections, replies still being read.
 *
 * Contract for the rest of slad, the same as with hiredis's own objects: a
 * reply and everything in it is valid only during its callback; nothing may
 * keep a pointer into it. Freed memory is poisoned for AddressSanitizer and
 * marked inaccessible for valgrind, so a pointer kept by mistake is caught
 * by the sanitizer and valgrind runs as it would be with malloc.
 *
 * One region per process (slad is single-threaded). Its chunks are kept
 * for reuse, up to REPLY_ARENA_KEEP bytes; reply_arena_release() frees
 * them all at exit.
 */
#ifndef REPLY_ARENA_H
#define REPLY_ARENA_H

#include <stddef.h>

#include <hiredis/async.h>

/* Use the region for the replies of ac (call right after connecting). */
void reply_arena_attach(redisAsyncContext *ac);

/* Free every chunk; only when no reply is alive (at exit). */
void reply_arena_release(void);

#endif
