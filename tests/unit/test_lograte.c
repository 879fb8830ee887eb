/*
 * test_lograte — a flood of one line is cut to the burst and counted;
 * other lines pass meanwhile; the count is reported once, on the next copy
 * or by expire; a full table reuses the slot seen longest ago.
 */
#include <stdio.h>

#include "check.h"
#include "sla_lograte.h"

static char reported_text[SLA_LOGRATE_TEXT];
static int reports;

static void on_report(const char *text, uint32_t held, void *arg)
{
    *(uint32_t *)arg += held;
    snprintf(reported_text, sizeof reported_text, "%s", text);
    reports++;
}

/* One copy; *held: what was reported before it (0 when nothing). */
static int let(sla_lograte *lr, const char *msg, int64_t now, uint32_t *held)
{
    *held = 0;
    return sla_lograte_check(lr, msg, strlen(msg), now, on_report, held);
}

static void test_flood(void)
{
    sla_lograte lr;
    uint32_t held;
    sla_lograte_init(&lr, 3, 1000);
    int written = 0;
    for (int i = 0; i < 10000; i++) {
        written += let(&lr, "accept: Too many open files", i / 100, &held);
        CHECK_INT(held, 0);
    }
    CHECK_INT(written, 3);
    /* Another line is not held back by the flood. */
    CHECK_INT(let(&lr, "redis: connected", 100, &held), 1);
    CHECK_INT(held, 0);
    /* The interval is over: the next copy is written, with the count. */
    CHECK_INT(let(&lr, "accept: Too many open files", 1000, &held), 1);
    CHECK_INT(held, 9997);
    CHECK_STR(reported_text, "accept: Too many open files");
    CHECK_INT(let(&lr, "accept: Too many open files", 1001, &held), 1);
    CHECK_INT(held, 0);
}

static void test_expire(void)
{
    sla_lograte lr;
    uint32_t held;
    uint32_t reported = 0;
    sla_lograte_init(&lr, 1, 500);
    CHECK_INT(let(&lr, "x", 0, &held), 1);
    CHECK_INT(let(&lr, "x", 10, &held), 0);
    CHECK_INT(let(&lr, "x", 20, &held), 0);
    CHECK_INT(sla_lograte_expire(&lr, 499, on_report, &reported), 0);
    CHECK_INT(reported, 0);
    CHECK_INT(sla_lograte_expire(&lr, 500, on_report, &reported), 1);
    CHECK_INT(reported, 2);
    /* Reported once only. */
    CHECK_INT(sla_lograte_expire(&lr, 2000, on_report, &reported), 0);
    CHECK_INT(let(&lr, "x", 2000, &held), 1);
    CHECK_INT(held, 0);
}

static void test_full_table(void)
{
    sla_lograte lr;
    uint32_t held;
    sla_lograte_init(&lr, 1, 60000);
    CHECK_INT(let(&lr, "old", 0, &held), 1);
    CHECK_INT(let(&lr, "old", 1, &held), 0);
    char msg[32];
    for (int i = 0; i < SLA_LOGRATE_SLOTS - 1; i++) {
        snprintf(msg, sizeof msg, "line %d", i);
        CHECK_INT(let(&lr, msg, 10 + i, &held), 1);
        CHECK_INT(held, 0);
    }
    /* The table is full: a new line takes "old"'s slot and reports its count. */
    CHECK_INT(let(&lr, "new", 100, &held), 1);
    CHECK_INT(held, 1);
    CHECK_STR(reported_text, "old");
    /* "old" is new again. */
    CHECK_INT(let(&lr, "old", 101, &held), 1);
    CHECK_INT(held, 0);
}

int main(void)
{
    test_flood();
    test_expire();
    test_full_table();
    /* A long line is reported by its start. */
    sla_lograte lr;
    uint32_t held;
    char longline[300];
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    sla_lograte_init(&lr, 1, 10);
    let(&lr, longline, 0, &held);
    let(&lr, longline, 1, &held);
    CHECK_INT(let(&lr, longline, 10, &held), 1);
    CHECK_INT(held, 1);
    CHECK_INT(strlen(reported_text), SLA_LOGRATE_TEXT - 1);
    return CHECK_DONE();
}
