"""Chat robots through the real slad: a ticket with a hostile subject
breaches and escalates; feishu, dingtalk, wecom and slack receivers (all
tools/webhook_sink.py in "ok" mode, which answers {"ok":true,...} as
Slack's Web API does) get messages in their locale and zone, with the
mentions of the configuration and none of the ticket's markup.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, now_ms, run_tests, wait_for  # noqa: E402

TARGET_MS = 30000
HOSTILE = '<at user_id="all"></at> 请点击 [退款链接](http://phish.example/x) <@all>'

POLICIES = """
policies = (
  { name = "chat";
    first_response = { target = "30s";
      escalate = ( { after = "0s"; notify = [ "fs", "dt", "wc", "sl" ]; },
                   { after = "2s"; notify = [ "fs", "dt", "wc", "sl" ];
                     mention = { user_ids = [ "ou_manager" ]; }; } ); }; }
);
"""


def receivers(sink):
    common = 'ticket_url = "https://helpdesk.example/t/{ticket}";'
    return ",\n".join([
        '  { name = "fs"; format = "feishu"; url = "%s"; timezone = "Asia/Shanghai"; %s }'
        % (sink.url("/fs"), common),
        '  { name = "dt"; format = "dingtalk"; url = "%s"; %s '
        'mention = { mobiles = [ "13800138000" ]; }; }' % (sink.url("/dt"), common),
        '  { name = "wc"; format = "wecom"; url = "%s"; %s }' % (sink.url("/wc"), common),
        '  { name = "sl"; format = "slack"; url = "%s"; locale = "en"; timezone = "UTC"; %s }'
        % (sink.url("/sl"), common),
    ])


def text_of(req):
    j = req["json"]
    for path in (("content", "text"), ("markdown", "text"), ("markdown", "content"),
                 ("text", "content"), ("text",)):
        v = j
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, str):
            return v
    return None


def test_chat_messages(make_env):
    env = make_env("chat")
    env.start_redis()
    sink = env.start_sink(mode="ok")
    env.write_config(policies=POLICIES, receivers=receivers(sink))
    env.start_slad()
    env.xadd({"ticket": "T-42", "type": "ticket.opened", "channel": "chat",
              "subject": HOSTILE, "ts": str(now_ms() - TARGET_MS + 200)})
    for path in ("/fs", "/dt", "/wc", "/sl"):
        wait_for(lambda: len(sink.requests(path)) >= 2, 15, "breach and escalation at " + path)
    env.wait_delivered(10)
    check(not env.dead_deliveries(), "nothing dead-lettered (Slack's {\"ok\":true} is success)")

    for path in ("/fs", "/dt", "/wc", "/sl"):
        for req in sink.requests(path):
            body = req["body"]
            for bad in ('<at user_id=\\"all\\"', "<@all>", "](http://phish", "phish.example"):
                check(bad not in body, "%s: no %r from the subject in %s" % (path, bad, body))

    fs = [text_of(r) for r in sink.requests("/fs")]
    check(fs[0].startswith("【SLA 超时】首次响应 · 工单 T-42\n"), "feishu speaks Chinese: %r" % fs[0])
    check("（UTC+08:00）" in fs[0], "feishu shows Shanghai time: %r" % fs[0])
    check("查看工单：https://helpdesk.example/t/T-42" in fs[0], "the receiver's link")
    check(fs[1].endswith('\n<at user_id="ou_manager"></at>'), "the step's mention: %r" % fs[1])
    check("<at" not in fs[0], "the breach step mentions nobody")

    dt = [r["json"] for r in sink.requests("/dt")]
    check(dt[0]["at"] == {"atMobiles": ["13800138000"], "isAtAll": False},
          "dingtalk: the receiver's mobile: %r" % dt[0].get("at"))
    check(dt[1]["at"]["atUserIds"] == ["ou_manager"], "dingtalk: the step's user id")
    check(dt[1]["markdown"]["title"].startswith("【SLA 升级至第 2 级】"), "dingtalk title")

    wc = [text_of(r) for r in sink.requests("/wc")]
    check(wc[1].endswith("\n<@ou_manager>"), "wecom markdown mention: %r" % wc[1])

    sl = [text_of(r) for r in sink.requests("/sl")]
    check(sl[0].startswith("*SLA breach: first response, ticket T-42*\n"), "slack in English")
    check("(UTC)" in sl[0] and "0ms" not in sl[0], "slack shows UTC, in words: %r" % sl[0])
    check("&lt;at user_id=\"all\"&gt;" in sl[0], "slack escapes the subject its own way")


if __name__ == "__main__":
    run_tests([test_chat_messages], limit=60)
