/*
 * test_attrs — packed attribute buffers: set, replace, remove, order.
 */
#include "check.h"

#include <stdlib.h>

#include "sla_attrs.h"

#define F(k, v) {k, sizeof k - 1, v, sizeof v - 1}

int main(void)
{
    char *buf = NULL;
    size_t len = 0;
    sla_field a[] = {F("channel", "chat"), F("priority", "low"), F("priority", "high")};
    CHECK_INT(sla_attrs_merge(&buf, &len, a, 3), 0);
    CHECK_STR(sla_attrs_get(buf, len, "channel", 7), "chat");
    CHECK_STR(sla_attrs_get(buf, len, "priority", 8), "high"); /* last one wins */
    CHECK(sla_attrs_get(buf, len, "prio", 4) == NULL);
    CHECK(sla_attrs_get(buf, len, "chat", 4) == NULL); /* values are not keys */
    CHECK_INT(len, strlen("channel") + strlen("chat") + strlen("priority") + strlen("high") + 4);

    sla_field b[] = {F("assignee", "ann"), F("channel", "email"), F("priority", "")};
    CHECK_INT(sla_attrs_merge(&buf, &len, b, 3), 0);
    CHECK_STR(sla_attrs_get(buf, len, "channel", 7), "email");
    CHECK_STR(sla_attrs_get(buf, len, "assignee", 8), "ann");
    CHECK(sla_attrs_get(buf, len, "priority", 8) == NULL); /* empty value removes */

    /* Order: existing keys keep their place, new ones follow. */
    size_t pos = 0;
    const char *k, *v;
    CHECK(sla_attrs_next(buf, len, &pos, &k, &v) && strcmp(k, "channel") == 0);
    CHECK(sla_attrs_next(buf, len, &pos, &k, &v) && strcmp(k, "assignee") == 0);
    CHECK(!sla_attrs_next(buf, len, &pos, &k, &v));

    /* Beyond the size bound the merge is refused and nothing changes. */
    static char big[SLA_ATTRS_MAX];
    memset(big, 'x', sizeof big);
    sla_field c[] = {{"subject", 7, big, sizeof big}};
    size_t before = len;
    CHECK_INT(sla_attrs_merge(&buf, &len, c, 1), -1);
    CHECK_INT(len, before);
    CHECK_STR(sla_attrs_get(buf, len, "channel", 7), "email");

    /* Removing everything leaves an empty buffer. */
    sla_field d[] = {F("channel", ""), F("assignee", "")};
    CHECK_INT(sla_attrs_merge(&buf, &len, d, 2), 0);
    CHECK_INT(len, 0);
    free(buf);
    return CHECK_DONE();
}
