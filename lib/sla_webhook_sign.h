/*
 * sla_webhook_sign — the signing recipes of the webhook platforms.
 *
 * Each platform proves that a message comes from the holder of a shared
 * secret with an HMAC-SHA256, but each feeds the HMAC differently:
 *
 *   Standard Webhooks (format json)
 *       key  = base64-decode(secret without its "whsec_" prefix)
 *       msg  = msg_id "." timestamp_seconds "." body
 *       header webhook-signature: "v1," base64(mac)
 *   DingTalk custom robot
 *       key  = secret (the "SEC..." string, as is)
 *       msg  = timestamp_ms "\n" secret
 *       query &timestamp=<ms>&sign=<urlencode(base64(mac))>
 *   Feishu / Lark custom bot
 *       key  = timestamp_seconds "\n" secret
 *       msg  = "" (empty)
 *       body fields "timestamp": "<seconds>", "sign": base64(mac)
 *
 * Slack incoming webhooks, WeCom group robots and Alertmanager carry no
 * signature: the secret is the URL itself.
 *
 * Every function writes NUL-terminated text into a caller-owned buffer of
 * at least SLA_SIGN_SIZE bytes and returns 0, or -1 when the secret is
 * unusable (a Standard Webhooks secret that is not base64, or too long).
 * Secrets are never copied anywhere else and never logged.
 */
#ifndef SLA_WEBHOOK_SIGN_H
#define SLA_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* "v1," + base64 of 32 bytes (44) + NUL, rounded up. */
#define SLA_SIGN_SIZE 64

/* The longest Standard Webhooks key accepted, in bytes after decoding. */
#define SLA_SIGN_MAX_KEY 256

/*
 * Standard Webhooks: out = "v1,<base64 HMAC-SHA256(key, id.ts.body)>".
 * secret is "whsec_<base64>" or the bare base64 part.
 */
int sla_sign_standard(const char *secret, const char *msg_id, int64_t ts_s, const char *body,
                      size_t body_len, char *out);

/* 0 when secret is usable by sla_sign_standard, -1 otherwise. */
int sla_sign_standard_check(const char *secret);

/*
 * The longest DingTalk / Feishu secret that fits the message buffer with
 * any timestamp ("<int64>\n<secret>" in 512 bytes).
 */
#define SLA_SIGN_MAX_PLAIN 490

/*
 * 0 when secret is usable by sla_sign_dingtalk and sla_sign_feishu
 * (1..SLA_SIGN_MAX_PLAIN bytes), -1 otherwise. These secrets are plain
 * strings: any bytes sign, only one too long never does.
 */
int sla_sign_plain_check(const char *secret);

/* DingTalk: out = base64(HMAC-SHA256(secret, "<ts_ms>\n<secret>")), not URL-encoded. */
int sla_sign_dingtalk(const char *secret, int64_t ts_ms, char *out);

/* Feishu: out = base64(HMAC-SHA256("<ts_s>\n<secret>", "")). */
int sla_sign_feishu(const char *secret, int64_t ts_s, char *out);

#endif
