/*
 * sla_base64 — standard base64. See sla_base64.h.
 *
 * Written out rather than taken from OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock because the latter reports padding bytes as data and
 * accepts whitespace, both wrong for comparing keys.
 */
#include "sla_base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sla_base64_encode(const void *src, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = src;
    size_t need = ((len + 2) / 3) * 4;

    if (len > ((size_t)-1 - 3) / 4 * 3 || outlen < need + 1)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return (int)o;
}

static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int sla_base64_decode(const char *src, size_t len, unsigned char *out, size_t outlen)
{
    /* Padding, when present, must complete the last quantum exactly. */
    size_t pad = 0;
    if (len % 4 == 0 && len >= 4) {
        if (src[len - 1] == '=')
            pad++;
        if (src[len - 2] == '=')
            pad++;
    }
    size_t n = len - pad;
    if (n % 4 == 1)
        return -1;

    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > outlen)
        return -2;
    if (need > 0x7fffffff)
        return -1;

    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = value_of(src[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* leftover bits must be zero: one spelling per value */
        return -1;
    return (int)o;
}
