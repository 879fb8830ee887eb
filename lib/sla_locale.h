/*
 * sla_locale — the words of chat notices, one table per language.
 *
 * Every sentence a person reads in a chat message is a template in the
 * table of its locale (sla_locale.c); the formatter (sla_format_text.c)
 * only fills in the pieces. A template holds {name} placeholders:
 *
 *   {metric} {Metric}  the metric's name (capitalised where the language has case)
 *   {ticket} {policy}  ticket id and policy name (escaped by the formatter)
 *   {late} {left}      a duration, as people say it ("5 min", "5 分钟")
 *   {level} {n}        numbers
 *   {kind}             the notice's kind word ("Breach", "超时")
 *
 * Durations and wall-clock times are written here too, because how they
 * read is a matter of language: "1 h 20 min" / "1 小时 20 分钟", times as
 * "2026-11-26 03:44 UTC+08:00" in the zone the caller names by its offset.
 *
 * Pure and static: no allocation, no global state.
 */
#ifndef SLA_LOCALE_H
#define SLA_LOCALE_H

#include <stddef.h>
#include <stdint.h>

enum sla_locale {
    SLA_LOCALE_EN = 0,
    SLA_LOCALE_ZH_CN,
    SLA_LOCALE_COUNT
};

#define SLA_LOCALE_KINDS 4

typedef struct sla_locale_text {
    const char *code;                   /* "en", "zh-CN" */
    const char *metric[7];              /* by enum sla_metric, lower case */
    /* By kind, in the order of enum sla_decision_kind: warning, breach,
     * escalation, recovered. */
    const char *kind[SLA_LOCALE_KINDS]; /* "Breach", "超时", ... */
    const char *title[SLA_LOCALE_KINDS];
    /* What happened: [kind][0] general, [kind][1] when the duration is
     * under a second ("just overdue"); recovered [2]: met on time. */
    const char *state[SLA_LOCALE_KINDS][3];
    const char *sentence;               /* the first line of a notice: {state} inside */
    const char *digest_line;            /* one notice of a digest */
    const char *digest_title_one, *digest_title_many;
    const char *more;                   /* "…and {n} more" */
    const char *field_sep;              /* after a label: ": ", "：" */
    const char *value_sep;              /* then before the value in plain text */
    const char *subject, *deadline, *open_ticket;
    const char *attr_labels[5];         /* priority channel group assignee customer */
    const char *units[4];               /* d h min s */
    const char *unit_sep;               /* between a number and its unit */
    const char *part_sep;               /* between "1 h" and "20 min" */
    const char *open_paren, *close_paren;
} sla_locale_text;

/* The attributes shown as fields, in order, matching attr_labels. */
extern const char *const sla_locale_attr_keys[5];

/* The table of locale l (falls back to English for unknown values). */
const sla_locale_text *sla_locale_get(int l);

/* Locale from its code ("en", "zh-CN", also "zh", "zh_CN"); -1 when unknown. */
int sla_locale_from_name(const char *name);
const char *sla_locale_name(int l);

/*
 * ms as people say it, at most two units, rounded down: "45 s", "5 min",
 * "1 h 20 min", "2 d 3 h"; negative counts as 0; under a second is
 * "0 s" — callers use the table's "under a second" sentences instead.
 * Returns the length written (snprintf semantics).
 */
int sla_locale_duration(const sla_locale_text *t, int64_t ms, char *buf, size_t len);

/*
 * The instant ms as local wall-clock time offset_ms from UTC:
 * "2026-11-26 03:44 UTC+08:00" ("... UTC" when the offset is 0). Returns
 * the length written (snprintf semantics).
 */
int sla_locale_time(const sla_locale_text *t, int64_t ms, int64_t offset_ms, char *buf,
                    size_t len);

#endif
