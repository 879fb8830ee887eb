/*
 * sla_format_alertmanager — the "alertmanager" format: Alertmanager API v2
 * postable alerts (POST <receiver url>, which must be the full endpoint,
 * e.g. http://alertmanager:9093/api/v2/alerts; the URL is used as given).
 *
 * Body: a JSON array with one alert per decision:
 *   labels       alertname ("SLAWarning" for warnings, "SLABreach" for
 *                breach, escalation and recovered), ticket, metric, policy,
 *                level, receiver, severity ("warning" for warnings,
 *                "critical" otherwise), and the ticket attributes channel
 *                priority category group assignee when present
 *   annotations  summary (one line), description (the whole notice),
 *                url (the ticket's url attribute) when present
 *   startsAt     the deadline (the sending time for a warning, whose
 *                deadline is still ahead)
 *   endsAt       only for recovered: when the promise was met
 *   generatorURL the ticket's url when it is an http(s) URL
 *
 * Alertmanager identifies an alert by its label set, so a recovered notice
 * carries the same labels as the breach it answers (same alertname, level
 * and severity) and resolves it. A firing alert without endsAt is resolved
 * by Alertmanager itself after its resolve_timeout unless sent again; slad
 * sends each notice once, which is what a notification needs.
 *
 * Digest: simply more alerts in the array (Alertmanager groups alerts
 * itself); none is left out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sla_format.h"
#include "sla_metric.h"

static json_t *alert(const sla_decision *d)
{
    static const char *const attr_labels[] = {"channel", "priority", "category", "group",
                                              "assignee"};
    json_t *a = json_object(), *labels = json_object(), *ann = json_object();
    char level[16], starts[40], ends[40];
    const char *metric = sla_metric_name(d->metric);
    int warning = d->kind == SLA_DECISION_WARNING;
    sla_format_buf summary = {0}, text = {0};

    snprintf(level, sizeof(level), "%d", d->level);
    sla_format_rfc3339(warning ? d->fired_ms : d->deadline_ms, starts, sizeof(starts));
    sla_format_rfc3339(d->fired_ms, ends, sizeof(ends));
    sla_format_title(d, &summary);
    sla_format_text(d, SLA_MARKUP_PLAIN, &text);

    int err = a && labels && ann && !summary.oom && !text.oom ? 0 : -ENOMEM;
    err = err ? err : sla_format_jset_str(labels, "alertname", warning ? "SLAWarning" : "SLABreach");
    err = err ? err : sla_format_jset_str(labels, "ticket", d->ticket ? d->ticket : "");
    err = err ? err : sla_format_jset_str(labels, "metric", metric ? metric : "unknown");
    err = err ? err : sla_format_jset_str(labels, "policy", d->policy ? d->policy : "");
    err = err ? err : sla_format_jset_str(labels, "level", level);
    err = err ? err : sla_format_jset_str(labels, "receiver", d->receiver ? d->receiver : "");
    err = err ? err : sla_format_jset_str(labels, "severity", warning ? "warning" : "critical");
    for (size_t i = 0; !err && i < sizeof(attr_labels) / sizeof(attr_labels[0]); i++)
        err = sla_format_jset_str(labels, attr_labels[i], sla_format_attr(d, attr_labels[i]));

    err = err ? err : sla_format_jset_str(ann, "summary", summary.s);
    err = err ? err : sla_format_jset_str(ann, "description", text.s);
    err = err ? err : sla_format_jset_str(ann, "url", sla_format_attr(d, "url"));

    if (!err && (json_object_set(a, "labels", labels) || json_object_set(a, "annotations", ann)))
        err = -ENOMEM;
    err = err ? err : sla_format_jset_str(a, "startsAt", starts);
    if (!err && d->kind == SLA_DECISION_RECOVERED)
        err = sla_format_jset_str(a, "endsAt", ends);
    err = err ? err : sla_format_jset_str(a, "generatorURL", sla_format_link(d));

    sla_format_buf_release(&summary);
    sla_format_buf_release(&text);
    json_decref(labels);
    json_decref(ann);
    if (err) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int am_build_digest(const sla_decision *const *ds, size_t n, const sla_receiver *rc,
                           int64_t now_ms, sla_webhook_request *req)
{
    (void)rc, (void)now_ms; /* an alert is the same whoever and whenever it is sent */
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, alert(ds[i])) < 0) {
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
