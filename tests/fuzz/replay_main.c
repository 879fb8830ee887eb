/*
 * replay_main — runs a fuzz target over its saved inputs, without libFuzzer.
 *
 * Usage: <target>_replay PATH...   where each PATH is a directory (every
 * regular file in it whose name does not start with '.', in name order) or
 * a single file. Each input is read into a heap block of exactly its size,
 * so a sanitizer build catches reads past the end as libFuzzer would.
 * Prints how many inputs ran. Exits 1 when a path is missing, a directory
 * holds no input or a file cannot be read: a replay test that silently ran
 * nothing would pass forever. A target that finds a broken invariant
 * aborts, which fails the test as well.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* scandir, alphasort */
#endif
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reads path whole into a malloc'd block of its exact size (owned by caller). */
static int read_file(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || st.st_size < 0) {
        fclose(f);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf || fread(buf, 1, len, f) != len) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *out = buf;
    *out_len = len;
    return 0;
}

static int run_file(const char *path)
{
    uint8_t *data;
    size_t len;

    if (read_file(path, &data, &len) < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno ? errno : EIO));
        return -1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int skip_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Runs every input of dir; returns how many, or -1. */
static long run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, skip_hidden, alphasort);
    long ran = 0;
    int failed = 0;

    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if (!failed && snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) <
                           (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) < 0)
                failed = 1;
            else
                ran++;
        }
        free(names[i]);
    }
    free(names);
    if (failed)
        return -1;
    if (ran == 0) {
        fprintf(stderr, "replay: %s: no inputs\n", dir);
        return -1;
    }
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        long ran = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) < 0 ? -1 : 1);
        if (ran < 0)
            status = 1;
        else
            total += ran;
    }
    printf("%ld inputs ran\n", total);
    return status;
}
