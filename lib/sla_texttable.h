/*
 * sla_texttable — columns of text aligned for a terminal.
 *
 * Rows of cells are added; each cell is cleaned for the terminal (controls
 * and invalid UTF-8 shown as '?') and cut after a whole character with
 * "…" when wider than SLA_TEXTTABLE_CELL_WIDTH columns. Rendering pads
 * every column but the last to its widest cell (terminal columns, so CJK
 * text lines up) with two spaces between columns.
 *
 * Pure: the caller prints the rendered text. Ownership: the table owns
 * copies of its cells until sla_texttable_release(); the rendered text is
 * the caller's to free().
 */
#ifndef SLA_TEXTTABLE_H
#define SLA_TEXTTABLE_H

#include <stddef.h>

#define SLA_TEXTTABLE_MAX_COLS 10
/* A cell is cut at this many columns: ticket ids (at most 128 bytes)
 * never are, long attribute values such as a subject are. */
#define SLA_TEXTTABLE_CELL_WIDTH 128

typedef struct sla_texttable {
    size_t ncols, nrows, cap;
    char **cells; /* nrows x ncols, owned */
    size_t width[SLA_TEXTTABLE_MAX_COLS];
} sla_texttable;

/* An empty table of ncols (1..SLA_TEXTTABLE_MAX_COLS) columns. */
void sla_texttable_init(sla_texttable *t, size_t ncols);

/* Add a row of ncols cells (NULL shows as ""). 0, or -1 out of memory. */
int sla_texttable_row(sla_texttable *t, const char *const *cells);

/* The table as text, one line per row, each ending in '\n'; NULL on OOM. */
char *sla_texttable_render(const sla_texttable *t);

/* Free the cells; the table is empty (and usable) again. */
void sla_texttable_release(sla_texttable *t);

#endif
