/*
 * sla_fence — a partition's commit as one call of lib/lua/fenced.lua.
 *
 * The store builds its transaction command by command (the same
 * (argc, argv, lens) it would send inside MULTI/EXEC); sla_fence_add
 * copies each one, and sla_fence_argv turns them into
 *
 *   EVALSHA <sha> <numkeys> <lease> <key>... <token> <n> <word>... <n> <word>...
 *
 * whose reply is the commands' replies, as EXEC's would be, or the error
 * "FENCED ..." with nothing written when the lease no longer holds the
 * token. Every command's key is its second word (HSET, HDEL, XADD, XACK,
 * HINCRBY, EXPIRE ... all are so); each distinct key is declared once
 * among KEYS, as Redis Cluster needs. A command of more than
 * SLA_FENCE_MAX_WORDS words is refused: the caller splits it (the
 * script's Lua unpacks about 7990 values at most).
 *
 * Ownership: the sla_fence owns copies of every word; the arrays that
 * sla_fence_argv returns stay valid until the next add, reset or free.
 * Pure: no I/O.
 */
#ifndef SLA_FENCE_H
#define SLA_FENCE_H

#include <stddef.h>

#define SLA_FENCE_MAX_WORDS 4096

typedef struct sla_fence sla_fence;

sla_fence *sla_fence_new(void);
void sla_fence_free(sla_fence *f);

/* Forget the commands added (keeps the memory for the next commit). */
void sla_fence_reset(sla_fence *f);

/*
 * Add one command of argc (2..SLA_FENCE_MAX_WORDS) words. 0, -1 when argc
 * is out of range, -2 out of memory (the fence is unchanged then).
 */
int sla_fence_add(sla_fence *f, int argc, const char **argv, const size_t *lens);

/* Number of commands added since the last reset. */
size_t sla_fence_count(const sla_fence *f);

/*
 * The EVALSHA call running every command added, fenced on lease holding
 * token. 0, or -2 out of memory.
 */
int sla_fence_argv(sla_fence *f, const char *sha, const char *lease, const char *token,
                   int *argc, const char ***argv, const size_t **lens);

#endif
