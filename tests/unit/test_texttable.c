/*
 * test_texttable — columns aligned by terminal width (sla_texttable):
 * CJK takes two columns, the last column is not padded, controls are
 * shown as '?', a long cell is cut with "…".
 */
#include <stdlib.h>

#include "check.h"
#include "sla_texttable.h"

static void test_align(void)
{
    sla_texttable t;
    sla_texttable_init(&t, 3);
    const char *r0[] = {"GROUP", "N", "NOTE"};
    const char *r1[] = {"客服", "12", "x"};
    const char *r2[] = {"a\x1b[2J", NULL, "last"};
    CHECK_INT(sla_texttable_row(&t, r0), 0);
    CHECK_INT(sla_texttable_row(&t, r1), 0);
    CHECK_INT(sla_texttable_row(&t, r2), 0);
    char *text = sla_texttable_render(&t);
    CHECK_STR(text, "GROUP  N   NOTE\n"
                    "客服   12  x\n"
                    "a?[2J      last\n");
    free(text);
    sla_texttable_release(&t);
    CHECK_INT(t.nrows, 0);
    text = sla_texttable_render(&t);
    CHECK_STR(text, "");
    free(text);
}

static void test_cut(void)
{
    sla_texttable t;
    sla_texttable_init(&t, 1);
    char cell[400];
    memset(cell, 'x', sizeof cell - 1);
    cell[sizeof cell - 1] = '\0';
    const char *r[] = {cell};
    CHECK_INT(sla_texttable_row(&t, r), 0);
    char *text = sla_texttable_render(&t);
    /* 127 columns of x, then the ellipsis: 128 columns in all. */
    CHECK_INT(strlen(text), SLA_TEXTTABLE_CELL_WIDTH - 1 + 3 + 1);
    CHECK(strstr(text, "x\xE2\x80\xA6\n") != NULL);
    free(text);
    sla_texttable_release(&t);
}

int main(void)
{
    test_align();
    test_cut();
    return CHECK_DONE();
}
