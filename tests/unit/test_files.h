/*
 * test_files.h — writing the files a unit test loads (configurations into
 * its mkdtemp directory).
 *
 * A file that cannot be written is not a failure of the code under test:
 * the test stops with status 2 and the reason, as for mkdtemp.
 */
#ifndef SLA_TEST_FILES_H
#define SLA_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>

/* Writes text to path, replacing what was there. */
static void test_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

#endif
