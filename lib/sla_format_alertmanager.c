/*
 * sla_format_alertmanager — the "alertmanager" format: Alertmanager API v2
 * postable alerts (POST <receiver url>, which must be the full endpoint,
 * e.g. http://alertmanager:9093/api/v2/alerts; the URL is used as given).
 * The label set and the lifecycle are described in sla_alertmanager.h.
 *
 * Body: a JSON array with one alert per decision:
 *   labels       alertname ticket metric cycle receiver severity
 *   annotations  summary, description (the whole notice in plain text),
 *                level, policy, deadline, the ticket's assignee group
 *                channel priority category url when present, runbook_url
 *                when configured, resolution when sent resolved
 *   startsAt     the deadline (for a warning: the sending time of the
 *                decision, its deadline being still ahead)
 *   endsAt       firing: now + SLA_AM_HOLD_INTERVALS x resend_interval;
 *                warning: the deadline; met: when the engine saw it met;
 *                acknowledged, stopped, closed: now; never before startsAt
 *                (Alertmanager refuses the whole request then)
 *   generatorURL the ticket's url attribute when it is an http(s) URL
 *                (the one link slad has that opens the ticket)
 *
 * Digest: simply more alerts in the array (Alertmanager groups alerts
 * itself); none is left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_alertmanager.h"
#include "sla_format.h"
#include "sla_metric.h"

/* Why an alert sent resolved ended, for people ("resolution"). */
static const char *resolution_name(enum sla_am_state s)
{
    switch (s) {
    case SLA_AM_MET: return "met";
    case SLA_AM_ACKED: return "acknowledged";
    case SLA_AM_STOPPED: return "stopped";
    case SLA_AM_CLOSED: return "closed";
    default: return NULL;
    }
}

enum sla_am_state sla_am_state_of(const sla_decision *d)
{
    switch (d->kind) {
    case SLA_DECISION_WARNING: return SLA_AM_WARNING;
    case SLA_DECISION_RECOVERED: return SLA_AM_MET;
    default: return SLA_AM_FIRING;
    }
}

const char *sla_am_policy_runbook(const sla_config *cfg, const char *policy)
{
    for (size_t i = 0; cfg && policy && i < cfg->npolicies; i++)
        if (strcmp(cfg->policies[i].name, policy) == 0)
            return cfg->policies[i].runbook_url;
    return NULL;
}

static int64_t ends_at(const sla_am_alert *a, int64_t starts, const sla_receiver *rc,
                       int64_t now_ms)
{
    int64_t ends;
    switch (a->state) {
    case SLA_AM_FIRING: ends = now_ms + SLA_AM_HOLD_INTERVALS * rc->resend_interval_ms; break;
    case SLA_AM_WARNING: ends = a->d->deadline_ms; break;
    /* A recovered notice knows when the clock was met; a warning found met
     * later (daemon/alerts.c) ends when it is found so. */
    case SLA_AM_MET: ends = a->d->kind == SLA_DECISION_WARNING ? now_ms : a->d->fired_ms; break;
    default: ends = now_ms; break;
    }
    return ends < starts ? starts : ends;
}

static json_t *alert(const sla_am_alert *a, const sla_receiver *rc, int64_t now_ms)
{
    static const char *const attr_notes[] = {"assignee", "group", "channel", "priority",
                                             "category", "url"};
    const sla_decision *d = a->d;
    json_t *o = json_object(), *labels = json_object(), *ann = json_object();
    char level[16], cycle[16], starts[40], ends[40], deadline[40];
    const char *metric = sla_metric_name(d->metric);
    const char *why = resolution_name(a->state);
    const char *runbook = a->runbook_url ? a->runbook_url : rc->runbook_url;
    int warning = d->kind == SLA_DECISION_WARNING;
    int64_t starts_ms = warning ? d->fired_ms : d->deadline_ms;
    sla_format_buf summary = {0}, text = {0};

    snprintf(level, sizeof(level), "%d", d->level);
    snprintf(cycle, sizeof(cycle), "%u", (unsigned)d->cycle);
    sla_format_rfc3339(starts_ms, starts, sizeof(starts));
    sla_format_rfc3339(ends_at(a, starts_ms, rc, now_ms), ends, sizeof(ends));
    sla_format_rfc3339(d->deadline_ms, deadline, sizeof(deadline));
    sla_format_title(d, &summary);
    sla_format_text(d, &text);
    if (why && d->kind != SLA_DECISION_RECOVERED) { /* a recovered notice says so itself */
        sla_format_buf_printf(&summary, " (%s)", why);
        sla_format_buf_printf(&text, "\nResolved: %s", why);
    }

    int err = o && labels && ann && !summary.oom && !text.oom ? 0 : -ENOMEM;
    err = err ? err : sla_format_jset_str(labels, "alertname", warning ? "SLAWarning" : "SLABreach");
    err = err ? err : sla_format_jset_str(labels, d->subject == SLA_SUBJECT_CUSTOMER ? "customer" : "ticket",
                                          d->ticket ? d->ticket : "");
    err = err ? err : sla_format_jset_str(labels, "metric", metric ? metric : "unknown");
    err = err ? err : sla_format_jset_str(labels, "cycle", cycle);
    err = err ? err : sla_format_jset_str(labels, "receiver", rc->name ? rc->name : "");
    err = err ? err : sla_format_jset_str(labels, "severity", warning ? "warning" : "critical");

    err = err ? err : sla_format_jset_str(ann, "summary", summary.s);
    err = err ? err : sla_format_jset_str(ann, "description", text.s);
    err = err ? err : sla_format_jset_str(ann, "level", level);
    err = err ? err : sla_format_jset_str(ann, "policy", d->policy && *d->policy ? d->policy : NULL);
    err = err ? err : sla_format_jset_str(ann, "deadline", deadline);
    for (size_t i = 0; !err && i < sizeof(attr_notes) / sizeof(attr_notes[0]); i++)
        err = sla_format_jset_str(ann, attr_notes[i], sla_format_attr(d, attr_notes[i]));
    err = err ? err : sla_format_jset_str(ann, "runbook_url", runbook);
    err = err ? err : sla_format_jset_str(ann, "resolution", why);

    if (!err && (json_object_set(o, "labels", labels) || json_object_set(o, "annotations", ann)))
        err = -ENOMEM;
    err = err ? err : sla_format_jset_str(o, "startsAt", starts);
    err = err ? err : sla_format_jset_str(o, "endsAt", ends);
    err = err ? err : sla_format_jset_str(o, "generatorURL", sla_format_link(d));

    sla_format_buf_release(&summary);
    sla_format_buf_release(&text);
    json_decref(labels);
    json_decref(ann);
    if (err) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int sla_am_build(const sla_am_alert *alerts, size_t n, const sla_receiver *rc, int64_t now_ms,
                 sla_webhook_request *req)
{
    if (!alerts || n == 0 || n > SLA_AM_MAX_BATCH || !rc || !rc->url)
        return -EINVAL;
    req->url = strdup(rc->url);
    int err = req->url ? sla_webhook_request_add_header(req, "Content-Type", "application/json")
                       : -ENOMEM;
    snprintf(req->id, sizeof(req->id), "%.*s", (int)sizeof(alerts[0].d->id), alerts[0].d->id);
    json_t *arr = err ? NULL : json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, alert(&alerts[i], rc, now_ms)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    err = err ? err : sla_format_set_body(req, arr);
    if (err)
        sla_webhook_request_release(req);
    return err;
}

/* Through sla_webhook_build: the request is started there; only the body is ours. */
static int am_build_digest(const sla_decision *const *ds, size_t n, const sla_receiver *rc,
                           int64_t now_ms, sla_webhook_request *req)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        sla_am_alert a = {ds[i], sla_am_state_of(ds[i]), NULL};
        if (json_array_append_new(arr, alert(&a, rc, now_ms)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return sla_format_set_body(req, arr);
}

static int am_build(const sla_decision *d, const sla_receiver *rc, int64_t now_ms,
                    sla_webhook_request *req)
{
    return am_build_digest(&d, 1, rc, now_ms, req);
}

const sla_format_ops sla_format_alertmanager_ops = {
    .name = "alertmanager",
    .build = am_build,
    .build_digest = am_build_digest,
};
