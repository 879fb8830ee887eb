/*
 * sla_format — what the format modules share: the table each format
 * fills, the JSON pieces built on jansson, and the human text.
 *
 *   sla_webhook_build --> sla_format_ops[receiver.format]
 *       machine formats (json, alertmanager): .build / .build_digest make
 *           the JSON body from sla_format_decision_data() and friends;
 *       chat formats (slack, feishu, dingtalk, wecom): sla_format_chat_text()
 *           or sla_format_chat_digest() writes the words in the format's
 *           markup and the receiver's language and zone, then .wrap puts
 *           them and the mentions in the platform's envelope.
 *   sla_webhook_classify --> sla_format_check_body reads the platform's
 *       own verdict out of a response body ("HTTP 200 but errcode"), by the
 *       format's status fields or its .check_body.
 *
 * This header is for the sla_format_* and sla_webhook* modules; callers
 * outside use sla_webhook.h and sla_webhook_response.h.
 *
 * Text from tickets is untrusted: attribute values may be any bytes. Every
 * piece that reaches a body passes through a cleaner that replaces invalid
 * UTF-8 with U+FFFD, so jansson always accepts it and Chinese (or any
 * other) text passes through unchanged; in chat messages it is also kept
 * from being read as markup (sla_format_chat.c).
 */
#ifndef SLA_FORMAT_H
#define SLA_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sla_calendar.h"
#include "sla_locale.h"
#include "sla_webhook.h"

/* ---- a growable text buffer ------------------------------------------- */

/*
 * Appends never fail: on allocation failure the buffer sets oom and
 * ignores further text, and the caller checks oom once at the end.
 * s is owned by the buffer (NUL-terminated when non-NULL); release frees it.
 */
typedef struct sla_format_buf {
    char *s;
    size_t len, cap;
    int oom;
} sla_format_buf;

void sla_format_buf_add(sla_format_buf *b, const char *s, size_t n);
void sla_format_buf_puts(sla_format_buf *b, const char *s);
void sla_format_buf_printf(sla_format_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Cut b to at most max bytes on a UTF-8 character boundary. */
void sla_format_buf_truncate(sla_format_buf *b, size_t max);
void sla_format_buf_release(sla_format_buf *b);

/* Flags of sla_format_buf_add_clean. */
#define SLA_CLEAN_KEEP_NEWLINES 1 /* else \n \r \t become spaces */

/*
 * Append s (len bytes) with invalid UTF-8 replaced by U+FFFD and control
 * characters dropped (or \n \r \t turned into spaces), cut to at most max
 * bytes of output on a character boundary with "…" marking the cut.
 */
void sla_format_buf_add_clean(sla_format_buf *b, const char *s, size_t len, int flags,
                              size_t max);

/* ---- decision facts ---------------------------------------------------- */

/* "warning", "breach", "escalation", "recovered"; "unknown" otherwise. */
const char *sla_format_kind_name(int kind);

/*
 * The value of ticket attribute key in d->attrs, borrowed from d (the
 * packed pairs are NUL-terminated); NULL when absent or empty.
 */
const char *sla_format_attr(const sla_decision *d, const char *key);

/* The attribute "url" when it is an http(s) URL fit for a link, else NULL. */
const char *sla_format_link(const sla_decision *d);

/* RFC 3339 UTC with milliseconds into buf (at least 32 bytes). */
void sla_format_rfc3339(int64_t ms, char *buf, size_t len);

/* ---- JSON -------------------------------------------------------------- */

/* A new JSON string holding s cleaned to valid UTF-8; NULL on OOM. */
json_t *sla_format_jstr(const char *s);

/*
 * Set key of obj to a cleaned string (a NULL s sets nothing) or to an
 * integer. 0 or -ENOMEM.
 */
int sla_format_jset_str(json_t *obj, const char *key, const char *s);
int sla_format_jset_int(json_t *obj, const char *key, int64_t v);

/*
 * Every field of d (as in the escalations stream record) plus "attrs", an
 * object of the ticket attributes. New reference, NULL on OOM.
 */
json_t *sla_format_decision_data(const sla_decision *d);

/* A new JSON array of the strings v[0..n-1]; NULL on OOM. */
json_t *sla_format_jstr_array(const char *const *v, size_t n);

/*
 * Serialise root compactly into req->body (which takes the text jansson
 * allocated). Consumes the reference to root, also on error. 0 or -ENOMEM.
 */
int sla_format_set_body(sla_webhook_request *req, json_t *root);

/*
 * The envelope every chat platform uses: an object of string fields
 * head[] ("key", "value", ..., NULL), then, when inner_key is not NULL, an
 * object of string fields inner[] under inner_key. Becomes req->body.
 * 0 or -ENOMEM.
 */
int sla_format_set_message(sla_webhook_request *req, const char *const *head,
                           const char *inner_key, const char *const *inner);
/* The same object, returned (new reference, NULL on OOM) for more fields. */
json_t *sla_format_message(const char *const *head, const char *inner_key,
                           const char *const *inner);


/* ---- human text -------------------------------------------------------- */

enum sla_markup {
    SLA_MARKUP_PLAIN = 0, /* Feishu text */
    SLA_MARKUP_SLACK,     /* Slack mrkdwn: *bold*, <url|text>, & < > escaped */
    SLA_MARKUP_DINGTALK,  /* DingTalk markdown: headings, lists, [text](url) */
    SLA_MARKUP_WECOM,     /* WeCom markdown: **bold**, > quotes, [text](url) */
};

/*
 * English text for machine formats (Alertmanager's summary and
 * description, sla_format_text.c). One line: "SLA breach: first
 * response, ticket T-1001". Plain text.
 */
void sla_format_title(const sla_decision *d, sla_format_buf *out);

/*
 * The whole notice, plain: title, what is late by how much (or due in how
 * long, or met how late), then subject, deadline, priority, channel,
 * group, assignee when known, and the ticket's link.
 */
void sla_format_text(const sla_decision *d, sla_format_buf *out);

/* ---- chat notices (sla_format_chat.c) ----------------------------------- */

/* How a chat notice is written. */
typedef struct sla_format_style {
    enum sla_markup markup;
    const sla_locale_text *words;  /* the receiver's language */
    const sla_calendar *zone;      /* times shown in this zone; NULL = UTC */
    const char *ticket_url;        /* the receiver's template; NULL = no link */
    /* When the notice is read, if later than its fired_ms (a notice held
     * for the receiver's working hours); 0 = at fired_ms. "Overdue by" and
     * "due in" count to this instant; a warning read after its deadline
     * says the deadline passed. A recovery always counts to fired_ms. */
    int64_t as_of_ms;
} sla_format_style;

/* The notice's title in plain text (DingTalk's conversation list). */
void sla_format_chat_title(const sla_decision *d, const sla_format_style *st, sla_format_buf *out);
/*
 * The whole notice: title, what happened to the promise, subject,
 * deadline, ticket fields, and the receiver's link to the ticket.
 */
void sla_format_chat_text(const sla_decision *d, const sla_format_style *st, sla_format_buf *out);
void sla_format_chat_digest_title(size_t n, const sla_format_style *st, sla_format_buf *out);
/*
 * A digest of ds[0..n-1]: the title, one line per notice for the first
 * SLA_DIGEST_MAX_LISTED that fit in max bytes, then "…and N more" ("另有 N
 * 条") for the rest. The result is at most max bytes.
 */
void sla_format_chat_digest(const sla_decision *const *ds, size_t n, const sla_format_style *st,
                            size_t max, sla_format_buf *out);

/*
 * Whom one message @-mentions: the union of the configuration's lists
 * (the receiver's, and the ladder step's of each notice), without
 * duplicates. The strings are borrowed from the configuration.
 */
#define SLA_FORMAT_MENTIONS_MAX (2 * SLA_MENTION_MAX)
typedef struct sla_format_mentions {
    const char *mobiles[SLA_FORMAT_MENTIONS_MAX];
    size_t nmobiles;
    const char *user_ids[SLA_FORMAT_MENTIONS_MAX];
    size_t nuser_ids;
    int all;
} sla_format_mentions;

/* Add src's entries (NULL: none); entries past the cap are dropped. */
void sla_format_mentions_add(sla_format_mentions *m, const sla_mention *src);
/* Bytes an envelope may add to the text for m: kept free of the text's limit. */
size_t sla_format_mentions_room(const sla_format_mentions *m);

/*
 * text, then (when there are ids or all is not NULL) sep and the mentions:
 * id_open ID id_close for each of ids[0..nids-1], then all, separated by
 * spaces; into out. 0 or -ENOMEM.
 */
int sla_format_text_with_mentions(const char *text, const char *sep, const char *const *ids,
                                  size_t nids, const char *id_open, const char *id_close,
                                  const char *all, sla_format_buf *out);

/* ---- the per-format table ---------------------------------------------- */

/* What a response body says, per the platform. */
enum sla_body_verdict {
    SLA_BODY_OK = 0,      /* the platform reports success */
    SLA_BODY_ERROR,       /* the platform reports an error; reason set */
    SLA_BODY_RATE_LIMITED, /* an error that means "too fast, try later"; reason set */
    SLA_BODY_UNKNOWN,     /* the body says nothing recognisable */
};

typedef struct sla_format_ops {
    const char *name;
    /* Machine formats: build the body and headers of one decision / a digest. */
    int (*build)(const sla_decision *d, const sla_receiver *rc, int64_t now_ms,
                 sla_webhook_request *req);
    int (*build_digest)(const sla_decision *const *ds, size_t n, const sla_receiver *rc,
                        int64_t now_ms, sla_webhook_request *req);
    /*
     * Chat formats: markup of the text, its size limit in bytes, and the
     * envelope, which adds the mentions the way the platform takes them.
     * A platform whose markup cannot carry some mentions (WeCom: mobiles,
     * everyone) sends plain text instead when plain_for says so, with
     * plain_max_text as the limit.
     */
    enum sla_markup markup;
    size_t max_text;
    int (*plain_for)(const sla_format_mentions *mn);
    size_t plain_max_text;
    int (*wrap)(const char *title, const char *text, const sla_format_mentions *mn,
                const sla_receiver *rc, int64_t now_ms, sla_webhook_request *req);
    /*
     * Platforms answering in JSON name the integer status (0 = success) and
     * its message; alt_* is an older spelling also accepted (Feishu); a code
     * in rate_codes means "too fast". NULL code_key: no status in the body.
     */
    const char *code_key, *msg_key, *alt_code_key, *alt_msg_key;
    const int *rate_codes;
    size_t nrate;
    /* Platforms with another kind of body status (Slack's plain text). */
    enum sla_body_verdict (*check_body)(const char *body, size_t len, char *reason,
                                        size_t reason_len);
    /* 0 when secret (may be NULL) is usable; NULL: any secret is. */
    int (*check_secret)(const char *secret);
} sla_format_ops;

extern const sla_format_ops sla_format_json_ops;
extern const sla_format_ops sla_format_alertmanager_ops;
extern const sla_format_ops sla_format_slack_ops;
extern const sla_format_ops sla_format_feishu_ops;
extern const sla_format_ops sla_format_dingtalk_ops;
extern const sla_format_ops sla_format_wecom_ops;

/* The table of format (enum sla_format); NULL when out of range. */
const sla_format_ops *sla_format_get(int format);

/*
 * What body (len bytes) says per ops: its check_body, or its JSON status
 * fields. SLA_BODY_UNKNOWN when ops defines neither or the body has none.
 */
enum sla_body_verdict sla_format_check_body(const sla_format_ops *ops, const char *body,
                                            size_t len, char *reason, size_t reason_len);

#endif
