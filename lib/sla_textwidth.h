/*
 * sla_textwidth — how many terminal columns UTF-8 text takes, and cutting
 * it to fit without breaking a character.
 *
 * Columns follow Unicode's East Asian Width (UAX #11) the way terminals
 * do: Wide and Fullwidth characters (CJK ideographs, Hangul syllables,
 * Hiragana and Katakana, fullwidth forms, CJK punctuation, most emoji)
 * take 2 columns; combining marks, format characters (zero-width space and
 * joiners) and conjoining Hangul vowels and finals take 0; everything else
 * takes 1, Ambiguous characters included (as in a terminal outside a CJK
 * locale). The tables are built in, derived from Unicode 14.0, so the
 * result is the same on every machine and in every locale, unlike the C
 * library's wcwidth().
 *
 * Text that is not valid UTF-8 is measured and copied safely: each byte
 * that does not start a valid, shortest-form sequence counts as one
 * character of width 1 and is shown as '?'. Control characters (C0, DEL,
 * C1) are shown as '?' too, width 1, so that text from outside cannot move
 * a terminal's cursor. sla_text_width() measures text exactly as
 * sla_text_fit() shows it.
 *
 * Pure: no locale, no allocation. Buffers are the caller's.
 */
#ifndef SLA_TEXTWIDTH_H
#define SLA_TEXTWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* No limit on the width, for sla_text_fit(). */
#define SLA_TEXT_UNLIMITED ((size_t)-1)

/*
 * The UTF-8 sequence at s[0..len): its length 1..4 with the code point in
 * *cp, or 0 when s does not start with a valid shortest-form sequence
 * (overlong forms, surrogates, code points over U+10FFFF and sequences cut
 * short by len are refused). len must be at least 1.
 */
size_t sla_utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * The longest prefix of s[0..len) of at most max_bytes bytes that does not
 * end inside a valid UTF-8 sequence: where to cut text that must stay
 * under a byte limit.
 */
size_t sla_utf8_cut(const char *s, size_t len, size_t max_bytes);

/* Columns of one code point: 0, 1 or 2 (controls: 1, shown as '?'). */
int sla_char_width(uint32_t cp);

/* Columns of s[0..len) as sla_text_fit() shows it. */
size_t sla_text_width(const char *s, size_t len);

/*
 * Copy s[0..len) into out (NUL-terminated, always valid UTF-8) for a
 * terminal: controls and bytes of invalid sequences become '?'. When the
 * text is wider than max_width columns, or does not fit in outlen bytes,
 * it is cut after a whole character and "…" (U+2026, one column, three
 * bytes) is appended, the whole still within max_width and outlen.
 * Returns the columns of out. outlen 0 writes nothing; with outlen below 4
 * or max_width 0 there is no room for the "…" and the text is just cut.
 */
size_t sla_text_fit(const char *s, size_t len, size_t max_width, char *out, size_t outlen);

#endif
