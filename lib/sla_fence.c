/*
 * sla_fence — fenced commit arguments. See sla_fence.h.
 *
 * Words are copied into one growing byte buffer and found again by
 * offset (the buffer moves when it grows); argv is assembled only at the
 * end, when nothing moves any more.
 */
#include "sla_fence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sla_fence {
    char *bytes;            /* every word added, back to back */
    size_t nbytes, capbytes;
    size_t *off, *len;      /* per word */
    size_t nwords, capoff, caplen;
    size_t *cmd_words;      /* per command: its word count */
    size_t ncmds, capcmds;
    size_t *keys;           /* word index of each distinct key */
    size_t nkeys, capkeys;
    /* sla_fence_argv's output */
    const char **argv;
    size_t *lens;
    char (*counts)[24];
    size_t capargv, caplens, capcounts;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

sla_fence *sla_fence_new(void)
{
    return calloc(1, sizeof(sla_fence));
}

void sla_fence_free(sla_fence *f)
{
    if (f == NULL)
        return;
    free(f->bytes);
    free(f->off);
    free(f->len);
    free(f->cmd_words);
    free(f->keys);
    free(f->argv);
    free(f->lens);
    free(f->counts);
    free(f);
}

void sla_fence_reset(sla_fence *f)
{
    f->nbytes = f->nwords = f->ncmds = f->nkeys = 0;
}

size_t sla_fence_count(const sla_fence *f)
{
    return f->ncmds;
}

static int same_word(const sla_fence *f, size_t a, size_t b)
{
    return f->len[a] == f->len[b] && memcmp(f->bytes + f->off[a], f->bytes + f->off[b], f->len[a]) == 0;
}

int sla_fence_add(sla_fence *f, int argc, const char **argv, const size_t *lens)
{
    if (argc < 2 || argc > SLA_FENCE_MAX_WORDS)
        return -1;
    size_t total = 0;
    for (int i = 0; i < argc; i++)
        total += lens[i];
    if (grow((void **)&f->bytes, &f->capbytes, f->nbytes + total, 1) < 0 ||
        grow((void **)&f->off, &f->capoff, f->nwords + (size_t)argc, sizeof *f->off) < 0 ||
        grow((void **)&f->len, &f->caplen, f->nwords + (size_t)argc, sizeof *f->len) < 0 ||
        grow((void **)&f->cmd_words, &f->capcmds, f->ncmds + 1, sizeof *f->cmd_words) < 0 ||
        grow((void **)&f->keys, &f->capkeys, f->nkeys + 1, sizeof *f->keys) < 0)
        return -2;
    size_t first = f->nwords;
    for (int i = 0; i < argc; i++) {
        if (lens[i])
            memcpy(f->bytes + f->nbytes, argv[i], lens[i]);
        f->off[f->nwords] = f->nbytes;
        f->len[f->nwords] = lens[i];
        f->nbytes += lens[i];
        f->nwords++;
    }
    f->cmd_words[f->ncmds++] = (size_t)argc;
    size_t key = first + 1, k = 0;
    while (k < f->nkeys && !same_word(f, f->keys[k], key))
        k++;
    if (k == f->nkeys)
        f->keys[f->nkeys++] = key;
    return 0;
}

int sla_fence_argv(sla_fence *f, const char *sha, const char *lease, const char *token,
                   int *argc, const char ***argv, const size_t **lens)
{
    size_t n = 3 + 1 + f->nkeys + 1 + f->ncmds + f->nwords;
    if (grow((void **)&f->argv, &f->capargv, n, sizeof *f->argv) < 0 ||
        grow((void **)&f->lens, &f->caplens, n, sizeof *f->lens) < 0 ||
        grow((void **)&f->counts, &f->capcounts, f->ncmds + 1, sizeof *f->counts) < 0)
        return -2;
    size_t a = 0;
#define PUT(p, l) (f->argv[a] = (p), f->lens[a] = (l), a++)
    PUT("EVALSHA", 7);
    PUT(sha, strlen(sha));
    snprintf(f->counts[f->ncmds], sizeof f->counts[0], "%zu", 1 + f->nkeys);
    PUT(f->counts[f->ncmds], strlen(f->counts[f->ncmds]));
    PUT(lease, strlen(lease));
    for (size_t k = 0; k < f->nkeys; k++)
        PUT(f->bytes + f->off[f->keys[k]], f->len[f->keys[k]]);
    PUT(token, strlen(token));
    size_t w = 0;
    for (size_t c = 0; c < f->ncmds; c++) {
        snprintf(f->counts[c], sizeof f->counts[0], "%zu", f->cmd_words[c]);
        PUT(f->counts[c], strlen(f->counts[c]));
        for (size_t i = 0; i < f->cmd_words[c]; i++, w++)
            PUT(f->bytes + f->off[w], f->len[w]);
    }
#undef PUT
    *argc = (int)a;
    *argv = f->argv;
    *lens = f->lens;
    return 0;
}
