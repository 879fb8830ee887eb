/*
 * test_deadletter — what a dead letter keeps of a refused entry: UTF-8
 * cuts, excerpts of oversize names and values, dropped fields, the note.
 */
#include "sla_deadletter.h"
#include "sla_textwidth.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static void test_utf8_cut(void)
{
    CHECK_INT(sla_utf8_cut("abc", 3, 10), 3);
    CHECK_INT(sla_utf8_cut("abcdef", 6, 4), 4);
    CHECK_INT(sla_utf8_cut("abcdef", 6, 0), 0);
    /* "aé" = 61 c3 a9: a cut at 2 would split é */
    CHECK_INT(sla_utf8_cut("a\xc3\xa9z", 4, 2), 1);
    CHECK_INT(sla_utf8_cut("a\xc3\xa9z", 4, 3), 3);
    /* "€" = e2 82 ac, "😀" = f0 9f 98 80 */
    const char *s = "ab\xe2\x82\xac" "c";
    CHECK_INT(sla_utf8_cut(s, 6, 3), 2);
    CHECK_INT(sla_utf8_cut(s, 6, 4), 2);
    CHECK_INT(sla_utf8_cut(s, 6, 5), 5);
    const char *e = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80";
    for (size_t m = 4; m < 8; m++)
        CHECK_INT(sla_utf8_cut(e, 8, m), 4);
    CHECK_INT(sla_utf8_cut(e, 8, 3), 0);
    /* Not UTF-8: bytes are bytes. */
    CHECK_INT(sla_utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 4), 4);
    CHECK_INT(sla_utf8_cut("\xff\xff\xff", 3, 2), 2);
}

/* A value of n bytes: 'x' with a two-byte character straddling byte 256. */
static char *value(size_t n)
{
    char *v = malloc(n);
    memset(v, 'x', n);
    if (n > 257) {
        v[255] = (char)0xc3;
        v[256] = (char)0xa9;
    }
    return v;
}

static void test_excerpt(void)
{
    sla_event_limits lim;
    sla_event_limits_default(&lim);
    char note[SLA_DEAD_NOTE_SIZE];
    sla_field out[SLA_EVENT_MAX_FIELDS + 8];

    /* Within the limits: kept whole, no note. */
    sla_field small[] = {{"ticket", 6, "T-1", 3}, {"type", 4, "ticket.opened", 13}};
    CHECK_INT(sla_dead_excerpt(small, 2, 2, &lim, out, note, sizeof note), 2);
    CHECK_STR(note, "");
    CHECK(out[1].val == small[1].val && out[1].val_len == 13);

    /* An 8 MB value: 255 bytes kept (the cut does not split é), noted. */
    size_t big = 8u << 20;
    char *v = value(big);
    sla_field f[] = {{"ticket", 6, "T-1", 3}, {"subject", 7, v, big}, {"type", 4, "x", 1}};
    CHECK_INT(sla_dead_excerpt(f, 3, 3, &lim, out, note, sizeof note), 3);
    CHECK_INT(out[1].val_len, 255);
    CHECK(out[1].val == v && out[1].key_len == 7);
    CHECK_INT(out[0].val_len, 3);
    CHECK_INT(out[2].val_len, 1);
    CHECK_STR(note, "cut 'subject' (8388608 bytes)");

    /* Values within max_value_bytes but together over max_entry_bytes:
     * the first ones whole, then excerpts. */
    lim.max_entry_bytes = 20000;
    char *w = value(8000);
    sla_field g[] = {{"a", 1, w, 8000}, {"b", 1, w, 8000}, {"c", 1, w, 8000}, {"d", 1, "ok", 2}};
    CHECK_INT(sla_dead_excerpt(g, 4, 4, &lim, out, note, sizeof note), 4);
    CHECK_INT(out[0].val_len, 8000);
    CHECK_INT(out[1].val_len, 8000);
    CHECK_INT(out[2].val_len, 255); /* é straddles 256 */
    CHECK_INT(out[3].val_len, 2);
    CHECK_STR(note, "cut 'c' (8000 bytes)");
    sla_event_limits_default(&lim);

    /* A long, unprintable name: cut to an excerpt, quoted escaped. */
    char name[300];
    memset(name, 'n', sizeof name);
    name[0] = '\'';
    name[1] = '\n';
    sla_field h[] = {{name, sizeof name, "v", 1}};
    CHECK_INT(sla_dead_excerpt(h, 1, 1, &lim, out, note, sizeof note), 1);
    CHECK_INT(out[0].key_len, 256);
    CHECK_STR(note, "cut '\\'\\x0annnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (name of 300 bytes)");

    /* Too many fields: the first max_fields kept, the rest counted. */
    sla_field many[300];
    for (size_t i = 0; i < 300; i++)
        many[i] = (sla_field){"k", 1, "v", 1};
    CHECK_INT(sla_dead_excerpt(many, 300, 300, &lim, out, note, sizeof note), 64);
    CHECK_STR(note, "236 fields dropped (300 in all)");
    /* The caller looked at 65 of a million. */
    CHECK_INT(sla_dead_excerpt(many, 65, 1000000, &lim, out, note, sizeof note), 64);
    CHECK_STR(note, "999936 fields dropped (1000000 in all)");
    f[1].val_len = 9000;
    sla_field mixed[70];
    for (size_t i = 0; i < 70; i++)
        mixed[i] = f[1];
    CHECK_INT(sla_dead_excerpt(mixed, 70, 70, &lim, out, note, sizeof note), 64);
    /* The note stays within its buffer and says it was cut. */
    CHECK(strlen(note) < sizeof note);
    CHECK(strlen(note) > sizeof note - 64);
    CHECK(strcmp(note + strlen(note) - 3, "...") == 0);
    CHECK(strncmp(note, "cut 'subject' (9000 bytes), 'subject' (9000 bytes)", 50) == 0);
    /* A tiny note buffer is left empty, never overrun. */
    char tiny[4] = "zzz";
    sla_dead_excerpt(f, 3, 3, &lim, out, tiny, sizeof tiny);
    CHECK_STR(tiny, "");

    /* Bounded: whatever the entry, the kept bytes stay within the limits. */
    size_t kept = 0, nk = sla_dead_excerpt(mixed, 70, 70, &lim, out, note, sizeof note);
    for (size_t i = 0; i < nk; i++)
        kept += out[i].key_len + out[i].val_len;
    CHECK(kept <= lim.max_entry_bytes + nk * 2 * SLA_DEAD_EXCERPT);
    free(v);
    free(w);
}

int main(void)
{
    test_utf8_cut();
    test_excerpt();
    return CHECK_DONE();
}
