/*
 * fuzz_ctlproto — the control protocol decoder on arbitrary bytes.
 *
 * Input: the bytes received on a control connection, first byte selecting
 * the side (even: the daemon decoding a request, odd: slactl decoding a
 * response), the rest the stream itself. The input is copied into a heap
 * block of exactly its length, so AddressSanitizer reports any read past
 * what was received.
 *
 * Beyond "does not crash", the target checks what the decoder promises:
 * the prefixes of the stream are "need more" until one is a message or a
 * refusal, and every longer one is refused (nothing may follow a
 * message); a reason is a non-empty line of printable ASCII; a message
 * passes the accessors' expectations and survives encode -> decode
 * unchanged.
 */
#include "fuzz.h"
#include "sla_ctlproto.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond))                                                                  \
            abort();                                                                  \
    } while (0)

static void check_reason(const char *err)
{
    REQUIRE(err[0] != '\0');
    for (const char *p = err; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p <= 0x7e);
}

static void check_message(json_t *msg, enum sla_ctl_kind kind)
{
    REQUIRE(json_is_object(msg));
    if (kind == SLA_CTL_REQUEST) {
        const char *cmd = sla_ctl_request_cmd(msg);
        REQUIRE(cmd != NULL && cmd[0] != '\0');
        json_t *args = sla_ctl_request_args(msg);
        REQUIRE(args == NULL || json_is_object(args));
    } else if (!sla_ctl_response_is_ok(msg)) {
        REQUIRE(sla_ctl_response_error_text(msg) != NULL);
    } else {
        REQUIRE(sla_ctl_response_data(msg) != NULL);
    }
    unsigned char *frame;
    size_t len;
    char err[256];
    REQUIRE(sla_ctl_encode(msg, kind, &frame, &len, err, sizeof err) == 0);
    json_t *again = NULL;
    REQUIRE(sla_ctl_decode(frame, len, kind, &again, err, sizeof err) == SLA_CTL_MESSAGE);
    REQUIRE(json_equal(msg, again));
    json_decref(again);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum sla_ctl_kind kind = (data[0] & 1) ? SLA_CTL_RESPONSE : SLA_CTL_REQUEST;
    size_t n = size - 1;
    unsigned char *buf = malloc(n ? n : 1);
    REQUIRE(buf);
    if (n)
        memcpy(buf, data + 1, n);

    char err[256];
    json_t *msg = NULL;
    int rc = sla_ctl_decode(buf, n, kind, &msg, err, sizeof err);
    REQUIRE(rc == SLA_CTL_NEED_MORE || rc == SLA_CTL_MESSAGE || rc == SLA_CTL_MALFORMED);
    REQUIRE((rc == SLA_CTL_MESSAGE) == (msg != NULL));
    if (rc == SLA_CTL_MALFORMED)
        check_reason(err);
    if (rc == SLA_CTL_MESSAGE)
        check_message(msg, kind);
    json_decref(msg);

    /* Prefixes: "need more" until one is a message or refused; every
     * longer stream is refused (a message admits no trailing bytes). */
    int settled = 0;
    size_t step = n > 64 ? n / 64 : 1;
    for (size_t i = 0; i < n; i += step) {
        json_t *m = NULL;
        int r = sla_ctl_decode(buf, i, kind, &m, err, sizeof err);
        REQUIRE((r == SLA_CTL_MESSAGE) == (m != NULL));
        json_decref(m);
        if (settled)
            REQUIRE(r == SLA_CTL_MALFORMED);
        if (r != SLA_CTL_NEED_MORE)
            settled = 1;
    }
    if (settled)
        REQUIRE(rc == SLA_CTL_MALFORMED);

    /* The result does not depend on the reason buffer. */
    REQUIRE(sla_ctl_decode(buf, n, kind, &msg, NULL, 0) == rc);
    json_decref(msg);
    free(buf);
    return 0;
}
