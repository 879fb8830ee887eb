/*
 * test_fence — a commit's commands become one EVALSHA of fenced.lua:
 * words copied (the caller's buffers may change after adding), each key
 * declared once after the lease, per-command word counts, binary words
 * kept whole, growth past the first allocations, reset, and the limits.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_fence.h"

static int add(sla_fence *f, int argc, const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return sla_fence_add(f, argc, argv, lens);
}

static void check_argv(int argc, const char **argv, const size_t *lens, const char **want, int n)
{
    CHECK_INT(argc, n);
    for (int i = 0; i < argc && i < n; i++) {
        CHECK_INT(lens[i], strlen(want[i]));
        CHECK(lens[i] == strlen(want[i]) && memcmp(argv[i], want[i], lens[i]) == 0);
    }
}

int main(void)
{
    sla_fence *f = sla_fence_new();
    CHECK(f != NULL);
    char field[8] = "T-1", value[8] = "rec1";
    const char *hset[] = {"HSET", "sla:{p3}:state", field, value};
    CHECK_INT(add(f, 4, hset), 0);
    strcpy(field, "XX"); /* the fence kept its own copy */
    strcpy(value, "YY");
    const char *xadd[] = {"XADD", "sla:{p3}:escalations", "*", "id", "esc_1"};
    CHECK_INT(add(f, 5, xadd), 0);
    const char *xack[] = {"XACK", "sla:{p3}:events", "slad", "1-1"};
    CHECK_INT(add(f, 4, xack), 0);
    const char *hdel[] = {"HDEL", "sla:{p3}:state", "T-9"}; /* a key seen before */
    CHECK_INT(add(f, 3, hdel), 0);
    CHECK_INT(sla_fence_count(f), 4);

    int argc;
    const char **argv;
    const size_t *lens;
    CHECK_INT(sla_fence_argv(f, "abc123", "sla:{p3}:lease", "slad-a/7", &argc, &argv, &lens), 0);
    const char *want[] = {"EVALSHA", "abc123", "4", "sla:{p3}:lease", "sla:{p3}:state",
                          "sla:{p3}:escalations", "sla:{p3}:events", "slad-a/7",
                          "4", "HSET", "sla:{p3}:state", "T-1", "rec1",
                          "5", "XADD", "sla:{p3}:escalations", "*", "id", "esc_1",
                          "4", "XACK", "sla:{p3}:events", "slad", "1-1",
                          "3", "HDEL", "sla:{p3}:state", "T-9"};
    check_argv(argc, argv, lens, want, (int)(sizeof want / sizeof want[0]));

    /* Limits: fewer than 2 words, more than SLA_FENCE_MAX_WORDS. */
    CHECK_INT(add(f, 1, hset), -1);
    const char **big = calloc(SLA_FENCE_MAX_WORDS + 1, sizeof *big);
    size_t *biglens = calloc(SLA_FENCE_MAX_WORDS + 1, sizeof *biglens);
    CHECK(big && biglens);
    if (big && biglens) {
        big[0] = "HSET";
        biglens[0] = 4;
        big[1] = "k";
        biglens[1] = 1;
        for (int i = 2; i <= SLA_FENCE_MAX_WORDS; i++) {
            big[i] = "v";
            biglens[i] = 1;
        }
        CHECK_INT(sla_fence_add(f, SLA_FENCE_MAX_WORDS + 1, big, biglens), -1);
        CHECK_INT(sla_fence_count(f), 4);
        CHECK_INT(sla_fence_add(f, SLA_FENCE_MAX_WORDS, big, biglens), 0);
    }
    free(big);
    free(biglens);

    /* Reset; binary words (a NUL inside) and many commands. */
    sla_fence_reset(f);
    CHECK_INT(sla_fence_count(f), 0);
    const char *bin[] = {"HSET", "s", "a\0b", "\x01\x00\x02"};
    size_t binlens[] = {4, 1, 3, 3};
    CHECK_INT(sla_fence_add(f, 4, bin, binlens), 0);
    for (int i = 0; i < 1000; i++) {
        const char *x[] = {"XACK", "e", "g", "1-1"};
        CHECK_INT(add(f, 4, x), 0);
    }
    CHECK_INT(sla_fence_argv(f, "s", "l", "t", &argc, &argv, &lens), 0);
    CHECK_INT(argc, 3 + 1 + 2 + 1 + 5 + 1000 * 5);
    CHECK_INT(lens[2], 1);
    CHECK(argv[2][0] == '3'); /* lease, s, e */
    CHECK(lens[10] == 3 && memcmp(argv[10], "a\0b", 3) == 0);
    CHECK(lens[11] == 3 && memcmp(argv[11], "\x01\x00\x02", 3) == 0);
    CHECK(lens[argc - 5] == 1 && argv[argc - 5][0] == '4');
    CHECK(lens[argc - 1] == 3 && memcmp(argv[argc - 1], "1-1", 3) == 0);

    sla_fence_free(f);
    sla_fence_free(NULL);
    return CHECK_DONE();
}
