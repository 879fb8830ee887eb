/*
 * test_format_alertmanager — the alertmanager body: a label set that stays
 * the same for the life of a clock cycle (whatever the level, the
 * assignee, the policy), and endsAt in each state of the lifecycle.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sla_alertmanager.h"
#include "sla_webhook.h"

#define DEADLINE 1795635848000LL /* 2026-11-25T19:44:08Z */
#define NOW 1795636100000LL      /* 2026-11-25T19:48:20Z */

static char attrs[] = "channel\0chat\0priority\0high\0group\0billing\0assignee\0alice\0"
                      "subject\0退款没有到账\0url\0https://helpdesk.example/t/T-1001\0";
static char attrs_reassigned[] = "channel\0chat\0priority\0urgent\0group\0vip\0assignee\0bob\0"
                                 "subject\0退款没有到账\0";

static sla_decision breach(void)
{
    sla_decision d = {0};
    d.kind = SLA_DECISION_BREACH;
    strcpy(d.id, "esc_0123456789abcdef0123456789abcdef");
    d.ticket = (char *)"T-1001";
    d.metric = SLA_METRIC_FIRST_RESPONSE;
    d.cycle = 2;
    d.level = 1;
    d.policy = (char *)"chat";
    d.receiver = (char *)"ops";
    d.deadline_ms = DEADLINE;
    d.fired_ms = NOW;
    d.attrs = attrs;
    d.attrs_len = sizeof(attrs) - 1;
    return d;
}

static sla_receiver receiver(void)
{
    sla_receiver rc = {0};
    rc.name = (char *)"ops";
    rc.url = (char *)"http://am.example:9093/api/v2/alerts";
    rc.format = SLA_FORMAT_ALERTMANAGER;
    rc.resend_interval_ms = 60000;
    return rc;
}

/* The only alert of a body, parsed; the caller decrefs the array (*root). */
static json_t *only_alert(const sla_webhook_request *r, json_t **root)
{
    *root = json_loads(r->body ? r->body : "", 0, NULL);
    CHECK(json_is_array(*root) && json_array_size(*root) == 1);
    return json_array_get(*root, 0);
}

static const char *field(json_t *a, const char *obj, const char *key)
{
    json_t *o = obj ? json_object_get(a, obj) : a;
    return json_string_value(json_object_get(o, key));
}

/* The labels of the one alert built for (d, state), serialised. */
static char *labels_of(const sla_decision *d, enum sla_am_state st)
{
    sla_receiver rc = receiver();
    sla_am_alert a = {d, st, NULL};
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_am_build(&a, 1, &rc, NOW, &r), 0);
    json_t *root, *al = only_alert(&r, &root);
    char *s = json_dumps(json_object_get(al, "labels"), JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(root);
    sla_webhook_request_release(&r);
    return s;
}

static void test_breach_body(void)
{
    sla_decision d = breach();
    sla_receiver rc = receiver();
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW, &r), 0);
    CHECK_STR(r.url, "http://am.example:9093/api/v2/alerts");
    json_t *root, *a = only_alert(&r, &root);
    char *labels = json_dumps(json_object_get(a, "labels"), JSON_SORT_KEYS | JSON_COMPACT);
    CHECK_STR(labels, "{\"alertname\":\"SLABreach\",\"cycle\":\"2\",\"metric\":\"first_response\","
                      "\"receiver\":\"ops\",\"severity\":\"critical\",\"ticket\":\"T-1001\"}");
    free(labels);
    CHECK_STR(field(a, "annotations", "summary"), "SLA breach: first response, ticket T-1001");
    CHECK(strstr(field(a, "annotations", "description"), "is overdue 4m12s") != NULL);
    CHECK_STR(field(a, "annotations", "level"), "1");
    CHECK_STR(field(a, "annotations", "policy"), "chat");
    CHECK_STR(field(a, "annotations", "assignee"), "alice");
    CHECK_STR(field(a, "annotations", "group"), "billing");
    CHECK_STR(field(a, "annotations", "deadline"), "2026-11-25T19:44:08.000Z");
    CHECK(field(a, "annotations", "runbook_url") == NULL);
    CHECK(field(a, "annotations", "resolution") == NULL);
    CHECK_STR(field(a, NULL, "startsAt"), "2026-11-25T19:44:08.000Z");
    /* Held for 4 resend intervals from the sending time. */
    CHECK_STR(field(a, NULL, "endsAt"), "2026-11-25T19:52:20.000Z");
    CHECK_STR(field(a, NULL, "generatorURL"), "https://helpdesk.example/t/T-1001");
    json_decref(root);
    sla_webhook_request_release(&r);
}

/* Level, assignee, group, priority and policy change; the labels do not. */
static void test_labels_stable(void)
{
    sla_decision d = breach();
    char *first = labels_of(&d, SLA_AM_FIRING);

    sla_decision esc = breach();
    esc.kind = SLA_DECISION_ESCALATION;
    esc.level = 3;
    esc.policy = (char *)"vip";
    esc.attrs = attrs_reassigned;
    esc.attrs_len = sizeof(attrs_reassigned) - 1;
    char *later = labels_of(&esc, SLA_AM_FIRING);
    CHECK_STR(later, first);

    sla_decision rec = esc;
    rec.kind = SLA_DECISION_RECOVERED;
    char *met = labels_of(&rec, SLA_AM_MET);
    CHECK_STR(met, first);
    char *acked = labels_of(&esc, SLA_AM_ACKED);
    CHECK_STR(acked, first);
    char *closed_ = labels_of(&esc, SLA_AM_CLOSED);
    CHECK_STR(closed_, first);

    /* A new cycle of the clock is another alert. */
    sla_decision next = breach();
    next.cycle = 3;
    char *again = labels_of(&next, SLA_AM_FIRING);
    CHECK(strcmp(again, first) != 0);
    free(first), free(later), free(met), free(acked), free(closed_), free(again);
}

static void test_ends_at(void)
{
    sla_receiver rc = receiver();
    sla_webhook_request r;
    json_t *root, *a;

    /* recovered: resolved when the engine saw it met, whenever it is sent. */
    sla_decision d = breach();
    d.kind = SLA_DECISION_RECOVERED;
    d.fired_ms = DEADLINE + 90000;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, NOW + 3600000, &r), 0);
    a = only_alert(&r, &root);
    CHECK_STR(field(a, NULL, "endsAt"), "2026-11-25T19:45:38.000Z");
    CHECK_STR(field(a, "annotations", "resolution"), "met");
    json_decref(root);
    sla_webhook_request_release(&r);

    /* acknowledged: resolved now, and says why. */
    d = breach();
    d.kind = SLA_DECISION_ESCALATION;
    d.level = 2;
    sla_am_alert al = {&d, SLA_AM_ACKED, "https://wiki.example/sla"};
    CHECK_INT(sla_am_build(&al, 1, &rc, NOW, &r), 0);
    a = only_alert(&r, &root);
    CHECK_STR(field(a, NULL, "endsAt"), "2026-11-25T19:48:20.000Z");
    CHECK_STR(field(a, "annotations", "resolution"), "acknowledged");
    CHECK_STR(field(a, "annotations", "level"), "2");
    CHECK_STR(field(a, "annotations", "runbook_url"), "https://wiki.example/sla");
    CHECK(strstr(field(a, "annotations", "summary"), "(acknowledged)") != NULL);
    json_decref(root);
    sla_webhook_request_release(&r);

    /* The receiver's runbook when the alert names none; a longer interval holds longer. */
    rc.runbook_url = (char *)"https://wiki.example/ops";
    rc.resend_interval_ms = 300000;
    al.state = SLA_AM_FIRING;
    al.runbook_url = NULL;
    CHECK_INT(sla_am_build(&al, 1, &rc, NOW, &r), 0);
    a = only_alert(&r, &root);
    CHECK_STR(field(a, "annotations", "runbook_url"), "https://wiki.example/ops");
    CHECK_STR(field(a, NULL, "endsAt"), "2026-11-25T20:08:20.000Z");
    json_decref(root);
    sla_webhook_request_release(&r);

    /* A resolution before the deadline (never sent, but never invalid):
     * endsAt is not before startsAt, which Alertmanager would refuse. */
    d = breach();
    al = (sla_am_alert){&d, SLA_AM_CLOSED, NULL};
    CHECK_INT(sla_am_build(&al, 1, &rc, DEADLINE - 5000, &r), 0);
    a = only_alert(&r, &root);
    CHECK_STR(field(a, NULL, "endsAt"), field(a, NULL, "startsAt"));
    json_decref(root);
    sla_webhook_request_release(&r);

    /* warning: its own alert, held until the deadline. */
    d = breach();
    d.kind = SLA_DECISION_WARNING;
    d.level = 0;
    d.fired_ms = DEADLINE - 42000;
    CHECK_INT(sla_webhook_build(&d, &rc, NULL, DEADLINE - 42000, &r), 0);
    a = only_alert(&r, &root);
    CHECK_STR(field(a, "labels", "alertname"), "SLAWarning");
    CHECK_STR(field(a, "labels", "severity"), "warning");
    CHECK_STR(field(a, NULL, "startsAt"), "2026-11-25T19:43:26.000Z");
    CHECK_STR(field(a, NULL, "endsAt"), "2026-11-25T19:44:08.000Z");
    CHECK(strstr(field(a, "annotations", "description"), "is due in 42s") != NULL);
    json_decref(root);
    sla_webhook_request_release(&r);

    /* A warning found met before its deadline: the same alert, resolved
     * now (not at the warning's own time, not held to the deadline). */
    al = (sla_am_alert){&d, SLA_AM_MET, NULL};
    CHECK_INT(sla_am_build(&al, 1, &rc, DEADLINE - 20000, &r), 0);
    a = only_alert(&r, &root);
    CHECK_STR(field(a, "labels", "alertname"), "SLAWarning");
    CHECK_STR(field(a, NULL, "startsAt"), "2026-11-25T19:43:26.000Z");
    CHECK_STR(field(a, NULL, "endsAt"), "2026-11-25T19:43:48.000Z");
    CHECK_STR(field(a, "annotations", "resolution"), "met");
    json_decref(root);
    sla_webhook_request_release(&r);
}

static void test_batch_and_errors(void)
{
    sla_receiver rc = receiver();
    sla_decision d[3] = {breach(), breach(), breach()};
    d[1].ticket = (char *)"T-1002";
    d[2].ticket = (char *)"T-1003";
    sla_am_alert al[3] = {{&d[0], SLA_AM_FIRING, NULL},
                          {&d[1], SLA_AM_STOPPED, NULL},
                          {&d[2], SLA_AM_CLOSED, NULL}};
    sla_webhook_request r;
    sla_webhook_request_init(&r);
    CHECK_INT(sla_am_build(al, 3, &rc, NOW, &r), 0);
    json_t *root = json_loads(r.body, 0, NULL);
    CHECK_INT(json_array_size(root), 3);
    CHECK_STR(field(json_array_get(root, 1), "annotations", "resolution"), "stopped");
    CHECK_STR(field(json_array_get(root, 2), "labels", "ticket"), "T-1003");
    json_decref(root);
    CHECK_STR(sla_webhook_request_header(&r, "Content-Type"), "application/json");
    sla_webhook_request_release(&r);

    CHECK_INT(sla_am_build(al, 0, &rc, NOW, &r), -EINVAL);
    CHECK(r.body == NULL && r.url == NULL);
}

static void test_policy_runbook(void)
{
    sla_policy pols[2] = {{.name = (char *)"chat"},
                          {.name = (char *)"vip", .runbook_url = (char *)"https://wiki/vip"}};
    sla_config cfg = {.policies = pols, .npolicies = 2};
    CHECK_STR(sla_am_policy_runbook(&cfg, "vip"), "https://wiki/vip");
    CHECK(sla_am_policy_runbook(&cfg, "chat") == NULL);
    CHECK(sla_am_policy_runbook(&cfg, "gone") == NULL);
    CHECK(sla_am_policy_runbook(NULL, "vip") == NULL);
}

int main(void)
{
    test_breach_body();
    test_labels_stable();
    test_ends_at();
    test_batch_and_errors();
    test_policy_runbook();
    return CHECK_DONE();
}
