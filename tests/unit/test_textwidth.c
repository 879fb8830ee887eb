/*
 * test_textwidth — display widths of mixed text, cutting on character
 * boundaries by width, and invalid UTF-8 measured and copied safely.
 */
#include <string.h>

#include "check.h"
#include "sla_textwidth.h"

#define W(s) sla_text_width((s), strlen(s))

/* 1 when s[0..len) is valid UTF-8. */
static int valid_utf8(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sla_utf8_next(s + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static void test_char_widths(void)
{
    CHECK_INT(sla_char_width('a'), 1);
    CHECK_INT(sla_char_width(0x00E9), 1);  /* é */
    CHECK_INT(sla_char_width(0x0301), 0);  /* combining acute */
    CHECK_INT(sla_char_width(0x200B), 0);  /* zero-width space */
    CHECK_INT(sla_char_width(0x200D), 0);  /* zero-width joiner */
    CHECK_INT(sla_char_width(0x00AD), 1);  /* soft hyphen stays visible */
    CHECK_INT(sla_char_width(0x4E00), 2);  /* 一 */
    CHECK_INT(sla_char_width(0x9FA5), 2);  /* 龥 */
    CHECK_INT(sla_char_width(0x3400), 2);  /* CJK extension A */
    CHECK_INT(sla_char_width(0x20000), 2); /* CJK extension B */
    CHECK_INT(sla_char_width(0xAC00), 2);  /* 가 */
    CHECK_INT(sla_char_width(0x1161), 0);  /* conjoining jungseong */
    CHECK_INT(sla_char_width(0x3042), 2);  /* あ */
    CHECK_INT(sla_char_width(0x30A2), 2);  /* ア */
    CHECK_INT(sla_char_width(0xFF71), 1);  /* halfwidth ｱ */
    CHECK_INT(sla_char_width(0xFF01), 2);  /* fullwidth ！ */
    CHECK_INT(sla_char_width(0xFF1A), 2);  /* fullwidth ： */
    CHECK_INT(sla_char_width(0x3001), 2);  /* 、 */
    CHECK_INT(sla_char_width(0x3002), 2);  /* 。 */
    CHECK_INT(sla_char_width(0x3000), 2);  /* ideographic space */
    CHECK_INT(sla_char_width(0x3099), 0);  /* combining voiced mark inside a wide block */
    CHECK_INT(sla_char_width(0x1F600), 2); /* 😀 */
    CHECK_INT(sla_char_width(0x1F4E6), 2); /* 📦 */
    CHECK_INT(sla_char_width(0x2026), 1);  /* … (ambiguous: narrow) */
    CHECK_INT(sla_char_width(0x0416), 1);  /* Ж */
    CHECK_INT(sla_char_width(0x10FFFF), 1);
}

static void test_string_widths(void)
{
    CHECK_INT(W(""), 0);
    CHECK_INT(W("T-1001"), 6);
    CHECK_INT(W("工单-甲乙丙"), 11);
    CHECK_INT(W("客户投诉：退款未到账，请尽快处理"), 32);
    CHECK_INT(W("e\xCC\x81t\xC3\xA9"), 3);            /* é as e + U+0301, then é */
    CHECK_INT(W("한국어 OK"), 9);
    CHECK_INT(W("ｶﾀｶﾅ"), 4);                           /* halfwidth katakana */
    CHECK_INT(W("订单📦ready"), 11);
    CHECK_INT(W("a\tb\x1b[31m"), 8);                   /* controls count as their '?' */
    CHECK_INT(W("\xC2\x9B" "1"), 2);                   /* C1 CSI */
}

static void test_invalid_utf8(void)
{
    /* Each byte of a broken sequence is one '?', one column. */
    CHECK_INT(W("\xE5\xB7"), 2);            /* 工 cut short */
    CHECK_INT(W("ab\xFF\xFE"), 4);
    CHECK_INT(W("\xC0\xAF"), 2);            /* overlong '/' */
    CHECK_INT(W("\xED\xA0\x80"), 3);        /* a surrogate */
    CHECK_INT(W("\xF4\x90\x80\x80"), 4);    /* over U+10FFFF */
    CHECK_INT(W("\xE5\xB7\xA5\xB7"), 3);    /* 工 then a stray continuation */
    uint32_t cp = 0;
    CHECK_INT(sla_utf8_next("\xE5\xB7\xA5", 3, &cp), 3);
    CHECK_INT(cp, 0x5DE5);
    CHECK_INT(sla_utf8_next("\xE5\xB7\xA5", 2, &cp), 0); /* len cuts it short */
    CHECK_INT(sla_utf8_next("\x80", 1, &cp), 0);

    char out[64];
    CHECK_INT(sla_text_fit("a\xE5\xB7z\xFF", 5, SLA_TEXT_UNLIMITED, out, sizeof out), 5);
    CHECK_STR(out, "a??z?");
    CHECK_INT(sla_text_fit("x\x1b[2J\xC2\x9B", 7, SLA_TEXT_UNLIMITED, out, sizeof out), 6);
    CHECK_STR(out, "x?[2J?");
}

static void test_utf8_cut(void)
{
    const char *s = "工单-甲"; /* 3 + 3 + 1 + 3 bytes */
    size_t len = strlen(s);
    CHECK_INT(sla_utf8_cut(s, len, 100), 10);
    CHECK_INT(sla_utf8_cut(s, len, 10), 10);
    CHECK_INT(sla_utf8_cut(s, len, 9), 7);
    CHECK_INT(sla_utf8_cut(s, len, 5), 3);
    CHECK_INT(sla_utf8_cut(s, len, 2), 0);
    CHECK_INT(sla_utf8_cut("ab\xE5\xB7", 4, 4), 4); /* broken bytes stand alone */
}

static void test_fit_cuts_by_width(void)
{
    char out[64];
    const char *subject = "客户投诉：退款未到账，请尽快处理";
    /* Fits: copied whole. */
    CHECK_INT(sla_text_fit(subject, strlen(subject), 32, out, sizeof out), 32);
    CHECK_STR(out, subject);
    /* 10 columns: four ideographs (8) and the ellipsis (1); a fifth would be 11. */
    CHECK_INT(sla_text_fit(subject, strlen(subject), 10, out, sizeof out), 9);
    CHECK_STR(out, "客户投诉…");
    CHECK_INT(sla_text_fit(subject, strlen(subject), 11, out, sizeof out), 11);
    CHECK_STR(out, "客户投诉：…");
    CHECK_INT(sla_text_fit("abcdef", 6, 4, out, sizeof out), 4);
    CHECK_STR(out, "abc…");
    CHECK_INT(sla_text_fit("abcdef", 6, 0, out, sizeof out), 0);
    CHECK_STR(out, "");
    /* A combining mark stays with its base. */
    CHECK_INT(sla_text_fit("e\xCC\x81" "fgh", 6, 3, out, sizeof out), 3);
    CHECK_STR(out, "e\xCC\x81" "f…");

    /* Cut by bytes: never inside a character, the ellipsis still fits. */
    char small[12];
    CHECK_INT(sla_text_fit(subject, strlen(subject), SLA_TEXT_UNLIMITED, small, sizeof small),
              5);
    CHECK_STR(small, "客户…");
    CHECK(valid_utf8(small, strlen(small)));
    char tiny[3];
    sla_text_fit(subject, strlen(subject), SLA_TEXT_UNLIMITED, tiny, sizeof tiny);
    CHECK_STR(tiny, "");
    char tiny2[4];
    sla_text_fit("abcdef", 6, SLA_TEXT_UNLIMITED, tiny2, sizeof tiny2);
    CHECK_STR(tiny2, "\xE2\x80\xA6");

    /* Every cut of a mixed string by every width is valid UTF-8 and fits. */
    const char *mixed = "工单-甲乙丙 e\xCC\x81 😀 ｶﾀ \xE5\xB7 Straße";
    for (size_t max = 0; max < 40; max++) {
        for (size_t cap = 1; cap < sizeof out; cap++) {
            size_t w = sla_text_fit(mixed, strlen(mixed), max, out, cap);
            CHECK(w <= max && strlen(out) < cap && valid_utf8(out, strlen(out)));
            CHECK(w == W(out));
        }
    }
}

int main(void)
{
    test_char_widths();
    test_string_widths();
    test_invalid_utf8();
    test_utf8_cut();
    test_fit_cuts_by_width();
    return CHECK_DONE();
}
