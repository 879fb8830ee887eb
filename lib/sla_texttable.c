/*
 * sla_texttable — see sla_texttable.h. The widths are kept as rows are
 * added, so rendering is one pass that knows its size beforehand.
 */
#include "sla_texttable.h"

#include <stdlib.h>
#include <string.h>

#include "sla_textwidth.h"

void sla_texttable_init(sla_texttable *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols < 1 ? 1 : ncols > SLA_TEXTTABLE_MAX_COLS ? SLA_TEXTTABLE_MAX_COLS : ncols;
}

int sla_texttable_row(sla_texttable *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (c == NULL)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    char **row = &t->cells[t->nrows * t->ncols];
    for (size_t c = 0; c < t->ncols; c++) {
        char buf[SLA_TEXTTABLE_CELL_WIDTH * 4 + 64];
        const char *s = cells[c] ? cells[c] : "";
        sla_text_fit(s, strlen(s), SLA_TEXTTABLE_CELL_WIDTH, buf, sizeof buf);
        row[c] = strdup(buf);
        if (row[c] == NULL) {
            while (c-- > 0)
                free(row[c]);
            return -1;
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        size_t w = sla_text_width(row[c], strlen(row[c]));
        if (w > t->width[c])
            t->width[c] = w;
    }
    t->nrows++;
    return 0;
}

char *sla_texttable_render(const sla_texttable *t)
{
    size_t size = 1;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        size += strlen(t->cells[i]) + 1;
    for (size_t c = 0; c + 1 < t->ncols; c++)
        size += t->nrows * (t->width[c] + 2);
    char *out = malloc(size), *p = out;
    if (out == NULL)
        return NULL;
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            size_t len = strlen(cell);
            memcpy(p, cell, len);
            p += len;
            if (c + 1 == t->ncols) {
                *p++ = '\n';
            } else {
                size_t pad = t->width[c] - sla_text_width(cell, len) + 2;
                memset(p, ' ', pad);
                p += pad;
            }
        }
    }
    *p = '\0';
    return out;
}

void sla_texttable_release(sla_texttable *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
    memset(t->width, 0, sizeof t->width);
}
