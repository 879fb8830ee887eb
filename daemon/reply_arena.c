/*
 * reply_arena — see reply_arena.h for the why and the contract.
 *
 *   head -> [chunk] -> [chunk] -> [chunk] -> NULL
 *                         ^ cur: allocations bump cur->used; a full chunk
 *                           moves cur on to the next (kept) chunk or a new one
 *   big  -> [block] -> ...   allocations over REPLY_ARENA_BIG, one block each
 *
 * A reply's root is the object created for a task without a parent; hiredis
 * frees roots only (freeObject on r->reply, or on the reply it returned).
 * `alive` counts roots created and not freed; when it drops to zero every
 * chunk is rewound (used = 0) and the big blocks are freed. Chunks beyond
 * REPLY_ARENA_KEEP bytes are given back at a rewind, so one huge reply does
 * not pin its memory for ever.
 *
 * hiredis 0.14 facts relied on: the object functions are
 * reader->fn (createString for strings, statuses and errors, createArray,
 * createInteger, createNil, freeObject); a child is attached to its parent
 * by the create function through task->parent->obj and task->idx.
 */
#include "reply_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#elif defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define ARENA_POISON(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define ARENA_UNPOISON(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#endif
#endif
#ifndef ARENA_POISON
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define REPLY_ARENA_CHUNK (64 * 1024)
#define REPLY_ARENA_BIG (REPLY_ARENA_CHUNK / 4)
#define REPLY_ARENA_KEEP (8 * 1024 * 1024)
#define REPLY_ARENA_ALIGN 16

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    _Alignas(REPLY_ARENA_ALIGN) unsigned char data[];
} arena_chunk;

static struct {
    arena_chunk *head, *cur;
    arena_chunk *big;
    size_t alive;
} ra;

static arena_chunk *arena_chunk_new(size_t size)
{
    arena_chunk *c = malloc(sizeof *c + size);
    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    ARENA_POISON(c->data, size);
    return c;
}

static void *arena_alloc(size_t n)
{
    n = (n + REPLY_ARENA_ALIGN - 1) & ~(size_t)(REPLY_ARENA_ALIGN - 1);
    if (n > REPLY_ARENA_BIG) {
        arena_chunk *b = arena_chunk_new(n);
        if (b == NULL)
            return NULL;
        b->next = ra.big;
        ra.big = b;
        b->used = n;
        ARENA_UNPOISON(b->data, n);
        return b->data;
    }
    if (ra.cur == NULL) {
        if (ra.head == NULL)
            ra.head = arena_chunk_new(REPLY_ARENA_CHUNK);
        ra.cur = ra.head;
        if (ra.cur == NULL)
            return NULL;
    }
    if (ra.cur->size - ra.cur->used < n) {
        if (ra.cur->next == NULL) {
            ra.cur->next = arena_chunk_new(REPLY_ARENA_CHUNK);
            if (ra.cur->next == NULL)
                return NULL;
        }
        ra.cur = ra.cur->next;
    }
    void *p = ra.cur->data + ra.cur->used;
    ra.cur->used += n;
    ARENA_UNPOISON(p, n);
    return p;
}

/* The last reply is gone: everything in the region is free again. */
static void arena_rewind(void)
{
    size_t kept = 0;
    arena_chunk **link = &ra.head;
    while (*link) {
        arena_chunk *c = *link;
        if (kept + c->size > REPLY_ARENA_KEEP) {
            *link = c->next;
            free(c);
            continue;
        }
        kept += c->size;
        ARENA_POISON(c->data, c->used);
        c->used = 0;
        link = &c->next;
    }
    while (ra.big) {
        arena_chunk *b = ra.big;
        ra.big = b->next;
        free(b);
    }
    ra.cur = ra.head;
}

/* A new object of the task's reply, attached to its parent array. */
static redisReply *arena_object(const redisReadTask *task, int type)
{
    redisReply *r = arena_alloc(sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->type = type;
    if (task->parent) {
        redisReply *parent = task->parent->obj;
        parent->element[task->idx] = r;
    } else {
        ra.alive++;
    }
    return r;
}

static void *arena_create_string(const redisReadTask *task, char *str, size_t len)
{
    char *copy = arena_alloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, str, len);
    copy[len] = '\0';
    redisReply *r = arena_object(task, task->type);
    if (r == NULL)
        return NULL;
    r->str = copy;
    r->len = len;
    return r;
}

static void *arena_create_array(const redisReadTask *task, int elements)
{
    redisReply **element = NULL;
    if (elements > 0) {
        element = arena_alloc((size_t)elements * sizeof *element);
        if (element == NULL)
            return NULL;
        memset(element, 0, (size_t)elements * sizeof *element);
    }
    redisReply *r = arena_object(task, REDIS_REPLY_ARRAY);
    if (r == NULL)
        return NULL;
    r->elements = elements > 0 ? (size_t)elements : 0;
    r->element = element;
    return r;
}

static void *arena_create_integer(const redisReadTask *task, long long value)
{
    redisReply *r = arena_object(task, REDIS_REPLY_INTEGER);
    if (r)
        r->integer = value;
    return r;
}

static void *arena_create_nil(const redisReadTask *task)
{
    return arena_object(task, REDIS_REPLY_NIL);
}

static void arena_free_object(void *reply)
{
    if (reply == NULL || ra.alive == 0)
        return;
    if (--ra.alive == 0)
        arena_rewind();
}

static redisReplyObjectFunctions arena_functions = {
    arena_create_string, arena_create_array, arena_create_integer, arena_create_nil,
    arena_free_object,
};

void reply_arena_attach(redisAsyncContext *ac)
{
    ac->c.reader->fn = &arena_functions;
    /* Keep the read buffer however large a reply made it: freeing and
     * growing it again for every batch costs more than the memory. */
    ac->c.reader->maxbuf = 0;
}

void reply_arena_release(void)
{
    if (ra.alive)
        return;
    while (ra.head) {
        arena_chunk *c = ra.head;
        ra.head = c->next;
        free(c);
    }
    while (ra.big) {
        arena_chunk *b = ra.big;
        ra.big = b->next;
        free(b);
    }
    ra.cur = NULL;
}
