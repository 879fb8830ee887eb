/*
 * sla_ctlproto — the control protocol between slactl and slad.
 *
 * One connection carries one exchange: the client sends one request, the
 * daemon sends one response and closes. Each message is a frame
 *
 *   +----------------------+-----------------------------------+
 *   | length, 4 bytes, BE  | one JSON object, `length` bytes   |
 *   +----------------------+-----------------------------------+
 *
 * with 1 <= length <= SLA_CTL_MAX_REQUEST (64 KiB) for a request and
 * SLA_CTL_MAX_RESPONSE (1 MiB) for a response, so a reader knows after four
 * bytes whether to keep reading or to give up, and never buffers more than
 * the limit. Messages:
 *
 *   request   {"v":1, "cmd":"status", "args":{...}}       args optional
 *   response  {"v":1, "ok":true,  "data":<any JSON>}
 *             {"v":1, "ok":false, "error":"human reason"}
 *
 * "v" is the protocol version; a peer speaking another version is refused
 * with a reason rather than misread. Nothing follows the one message: bytes
 * after it are malformed input, not a second request.
 *
 * Pure: no sockets here. sla_ctl_decode() is incremental (call it with
 * everything received so far) and tells "need more bytes", "one message"
 * or "malformed, because ...". Both slad and slactl use it, so the two
 * sides cannot drift apart.
 *
 * Ownership: every json_t returned is a new reference owned by the caller
 * (json_decref); encoded frames are malloc'd and owned by the caller.
 */
#ifndef SLA_CTLPROTO_H
#define SLA_CTLPROTO_H

#include <stddef.h>

#include <jansson.h>

#define SLA_CTL_VERSION 1
#define SLA_CTL_HEADER 4
#define SLA_CTL_MAX_REQUEST (64u * 1024u)
#define SLA_CTL_MAX_RESPONSE (1024u * 1024u)
/* The longest "by" of an ack request (who acknowledged), in bytes. */
#define SLA_CTL_BY_MAX 128

/* What a frame is expected to carry: selects the size limit and checks. */
enum sla_ctl_kind { SLA_CTL_REQUEST = 0, SLA_CTL_RESPONSE = 1 };

enum sla_ctl_status {
    SLA_CTL_MALFORMED = -1, /* err says why; the connection should be dropped */
    SLA_CTL_NEED_MORE = 0,  /* a prefix of a valid frame so far */
    SLA_CTL_MESSAGE = 1,    /* *out holds the checked message */
};

/*
 * Decode buf[0..len), everything received on the connection so far, as one
 * message of the given kind. On SLA_CTL_MESSAGE *out is the whole message
 * object (checked: version, and "cmd" a non-empty string and "args" an
 * object when present for a request; "ok" a boolean with "data" or a
 * string "error" for a response). On SLA_CTL_MALFORMED err holds one line
 * (printable ASCII). Never reads past buf[len - 1].
 */
int sla_ctl_decode(const void *buf, size_t len, enum sla_ctl_kind kind, json_t **out, char *err,
                   size_t errlen);

/*
 * Frame msg (an object) into a new buffer *frame of *frame_len bytes.
 * Returns 0, or -1 when it cannot be serialised or is larger than the
 * limit of its kind (err says which).
 */
int sla_ctl_encode(const json_t *msg, enum sla_ctl_kind kind, unsigned char **frame,
                   size_t *frame_len, char *err, size_t errlen);

/* A new request {"v":1,"cmd":cmd,"args":args}; steals args (NULL: none). */
json_t *sla_ctl_request_new(const char *cmd, json_t *args);
/* A new response {"v":1,"ok":true,"data":data}; steals data (NULL: null). */
json_t *sla_ctl_response_ok(json_t *data);
/*
 * A new response {"v":1,"ok":false,"error":"<formatted>"}. The text is
 * made valid UTF-8 (a byte of a broken sequence becomes '?') and, when
 * over 1 KiB, cut after a whole character with "…", so that arguments
 * quoted in a refusal can never make it unsendable.
 */
json_t *sla_ctl_response_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Whether by[0..len) may name who acknowledges (args "by" of ack): 1 to
 * SLA_CTL_BY_MAX bytes of valid UTF-8 without control characters (C0,
 * DEL, C1), since it goes into log lines. 0, or -1 with the reason in err.
 */
int sla_ctl_check_by(const char *by, size_t len, char *err, size_t errlen);

/* Accessors on checked messages (borrowed from msg). */
const char *sla_ctl_request_cmd(const json_t *msg);
/* The "args" object, or NULL when absent. */
json_t *sla_ctl_request_args(const json_t *msg);
/* 1 for ok:true, 0 for ok:false. */
int sla_ctl_response_is_ok(const json_t *msg);
/* "data" of an ok response (JSON null when absent), "error" of a refusal. */
json_t *sla_ctl_response_data(const json_t *msg);
const char *sla_ctl_response_error_text(const json_t *msg);

#endif
