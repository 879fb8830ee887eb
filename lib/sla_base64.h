/*
 * sla_base64 — standard base64 (RFC 4648 section 4, '+' '/' and '=' padding).
 *
 * Webhook signatures are base64 of an HMAC, and Standard Webhooks secrets
 * are "whsec_" followed by the base64 of the key, so both directions are
 * needed. Encoding always pads. Decoding accepts input with or without its
 * padding but nothing else: no whitespace, no URL-safe alphabet, no bits
 * left over in the last character, so one key has exactly one spelling.
 *
 * Both functions write into a caller-owned buffer and never allocate.
 */
#ifndef SLA_BASE64_H
#define SLA_BASE64_H

#include <stddef.h>

/* Bytes needed to encode n bytes, including the terminating NUL. */
#define SLA_BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4 + 1)

/*
 * Encode len bytes of src into out (outlen bytes, NUL-terminated).
 * Returns the length written without the NUL, or -1 when out is too small.
 */
int sla_base64_encode(const void *src, size_t len, char *out, size_t outlen);

/*
 * Decode len characters of src into out (outlen bytes, not terminated).
 * Returns the number of bytes written, -1 when src is not valid base64,
 * -2 when out is too small.
 */
int sla_base64_decode(const char *src, size_t len, unsigned char *out, size_t outlen);

#endif
