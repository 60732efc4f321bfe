"""Prevention rules (inc watch) and overdue reminders (inc remind)."""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from incli.domain.config import config_from_dict
from incli.domain.rules import evaluate, parse_metrics
from incli.errors import InvalidInput
from incli.service.hooks import Hooks
from incli.service.incidents import Service
from incli.service.remind import remind
from incli.storage.repo import find_repository, init_repository
from tests.conftest import inc
from tests.localhttp import receiver

PROM = textwrap.dedent("""\
    # HELP connection_pool_usage Share of the DB connection pool in use.
    # TYPE connection_pool_usage gauge
    connection_pool_usage{service="checkout",pool="primary"} 0.93 1736951400000
    connection_pool_usage{service="search",pool="primary"} 0.41
    cpu_usage{instance="web-1:9100"} 0.52
    cpu_usage{instance="web-2:9100",note="a \\"quoted\\", {braced} value"} 0.88
    error_rate 0.004
    """)

RULES = [
    {
        "name": "db-pool",
        "metric": "connection_pool_usage",
        "op": ">",
        "threshold": 0.8,
        "action": "open",
        "severity": "SEV2",
    },
    {"name": "cpu", "metric": "cpu_usage", "op": ">", "threshold": 0.75, "action": "notify"},
    {"name": "errors", "metric": "error_rate", "op": ">=", "threshold": 0.01, "action": "open", "severity": "SEV3"},
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


def configure(repo: Path, **sections: object) -> None:
    path = repo / "incli.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(sections)
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data))))  # no YAML aliases: incli refuses them


def incidents(repo: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]


# -- metrics and rules, pure ---------------------------------------------------


def test_prometheus_text_with_labels_escapes_and_timestamps() -> None:
    samples = parse_metrics(PROM)
    assert [(s.name, s.value) for s in samples] == [
        ("connection_pool_usage", 0.93),
        ("connection_pool_usage", 0.41),
        ("cpu_usage", 0.52),
        ("cpu_usage", 0.88),
        ("error_rate", 0.004),
    ]
    assert samples[3].labels == {"instance": "web-2:9100", "note": 'a "quoted", {braced} value'}


def test_json_metrics_are_detected_by_their_first_character() -> None:
    samples = parse_metrics('  {"cpu_usage": 0.8, "error_rate": "0.02"}')
    assert [(s.name, s.value) for s in samples] == [("cpu_usage", 0.8), ("error_rate", 0.02)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('cpu_usage{instance="a" 0.5', "metrics:1: expected , or } in the labels"),
        ("# c\ncpu_usage high", "metrics:2: 'high' is not a number"),
        ('{"cpu_usage": true}', "cpu_usage: expected a number, found true"),
        ('{"cpu_usage": 1', "malformed JSON"),
    ],
)
def test_bad_metrics_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_metrics(text)
    assert message in str(info.value)


def test_any_sample_crossing_fires_and_says_which() -> None:
    rules = config_from_dict({"rules": RULES}).rules
    samples = parse_metrics(PROM)
    pool, cpu, errors = (evaluate(rule, samples) for rule in rules)
    assert pool.status == "firing"
    assert pool.describe() == 'connection_pool_usage{pool="primary",service="checkout"} = 0.93 > 0.8'
    assert cpu.status == "firing" and [s.labels["instance"] for s in cpu.crossing] == ["web-2:9100"]
    assert errors.status == "ok"
    assert errors.describe() == "error_rate = 0.004, not >= 0.01"
    lower = config_from_dict(
        {"rules": [{"name": "low", "metric": "cpu_usage", "op": "<=", "threshold": 0.52, "action": "notify"}]}
    ).rules
    assert [s.value for s in evaluate(lower[0], samples).crossing] == [0.52]
    only_search = config_from_dict({"rules": [{**RULES[0], "labels": {"service": "search"}}]}).rules
    assert evaluate(only_search[0], samples).status == "ok"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"metric": "x", "op": ">", "threshold": 1, "action": "notify"}, "rules[0]: needs a name"),
        ({"name": "a", "metric": "x", "op": "=>", "threshold": 1, "action": "notify"}, "op must be one of > >= < <="),
        (
            {"name": "a", "metric": "x", "op": ">", "threshold": "high", "action": "notify"},
            "threshold must be a number",
        ),  # noqa: E501
        ({"name": "a", "metric": "x", "op": ">", "threshold": 1, "action": "page"}, "action must be one of open"),
        ({"name": "a", "metric": "x", "op": ">", "threshold": 1, "action": "open"}, "action open needs a severity"),
        (
            {"name": "a", "metric": "x", "op": ">", "threshold": 1, "action": "open", "severity": "SEV9"},
            "unknown severity 'SEV9'",
        ),
        (
            {"name": "a", "metric": "x", "op": ">", "threshold": 1, "action": "run", "run": "rm -rf /"},
            "incli never runs a shell",
        ),
        ({"name": "a", "metric": "x y", "op": ">", "threshold": 1, "action": "notify"}, "metric must be a metric name"),
        ({"name": "a", "metric": "x", "op": ">", "threshold": 1, "action": "notify", "thresold": 2}, "unknown key"),
    ],
)
def test_rule_config_errors_are_one_line(repo: Path, rule: dict, message: str) -> None:
    configure(repo, rules=[rule])
    result = inc("watch", "--metrics", "-", input='{"x": 2}', root=repo, code=None)
    assert result.code == 4
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert incidents(repo) == []


# -- inc watch -----------------------------------------------------------------


def test_watch_opens_once_notifies_once_per_breach_and_reports(repo: Path, tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.prom"
    metrics.write_text(PROM)
    with receiver() as got:
        configure(repo, rules=RULES, hooks={"rule_triggered": [{"webhook": got.url}]})
        dry = inc("watch", "--metrics", str(metrics), "--dry-run", root=repo)
        assert dry.code == 0, dry.stderr
        assert dry.stdout.splitlines() == [  # not a terminal: a header line and tab-separated rows
            "Rule\tSeen\tOutcome",
            'db-pool\tconnection_pool_usage{pool="primary",service="checkout"} = 0.93 > 0.8\t'
            "would open a SEV2 incident",
            'cpu\tcpu_usage{instance="web-2:9100",note="a \\"quoted\\", {braced} value"} = 0.88 > 0.75\t'
            "would notify (1 rule_triggered hook)",
            "errors\terror_rate = 0.004, not >= 0.01\tok",
        ]
        assert incidents(repo) == [] and got.requests == []

        first = inc("watch", "--metrics", str(metrics), root=repo)
        assert first.code == 0, first.stderr
        (incident,) = incidents(repo)
        assert f"\topened {incident['id']} (SEV2)\n" in first.stdout
        assert "\tnotified (1 hook)\n" in first.stdout
        assert incident["severity"] == "SEV2" and incident["service"] == "checkout"
        assert incident["source"] == {
            "kind": "rule",
            "rule": "db-pool",
            "metric": "connection_pool_usage",
            "op": ">",
            "threshold": "0.8",
            "value": "0.93",
            "labels": {"service": "checkout", "pool": "primary"},
        }
        (body,) = got.bodies()
        assert body["event"] == "rule_triggered" and body["incident"] is None
        assert body["rule"]["name"] == "cpu" and body["value"] == 0.88

        second = inc("watch", "--metrics", str(metrics), "--json", root=repo)
        reports = json.loads(second.stdout)
        assert reports[0]["outcome"] == f"already open: {incident['id']}"
        assert reports[1]["outcome"].startswith("already notified for this breach")
        assert len(incidents(repo)) == 1 and len(got.requests) == 1

        # the metric recovers, then breaches again: notified again
        inc("watch", "--metrics", "-", input='{"cpu_usage": 0.3}', root=repo)
        inc("watch", "--metrics", "-", input='{"cpu_usage": 0.95}', root=repo)
        assert len(got.requests) == 2


def test_watch_run_action_gets_the_value_in_env_and_no_shell(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "ran.json"
    script = (
        "import json, os, sys; json.dump({'env': {k: v for k, v in os.environ.items() if k.startswith('INC_')},"
        " 'stdin': json.load(sys.stdin), 'argv': sys.argv[1:]}, open(sys.argv[1], 'w'))"
    )
    configure(
        repo,
        rules=[
            {
                "name": "cpu",
                "metric": "cpu_usage",
                "op": ">",
                "threshold": 0.75,
                "action": "run",
                "run": [sys.executable, "-c", script, str(out), "$(touch pwned)"],
            }
        ],
    )
    result = inc("watch", "--metrics", "-", input=PROM, root=repo)
    assert result.code == 0, result.stderr
    assert "\tran " in result.stdout
    ran = json.loads(out.read_text())
    assert ran["argv"] == [str(out), "$(touch pwned)"]
    assert ran["env"]["INC_RULE"] == "cpu"
    assert ran["env"]["INC_VALUE"] == "0.88"
    assert ran["env"]["INC_THRESHOLD"] == "0.75"
    assert json.loads(ran["env"]["INC_LABELS"])["instance"] == "web-2:9100"
    assert ran["stdin"]["crossing"][0]["value"] == 0.88
    assert not (repo / "pwned").exists()


def test_watch_failing_run_is_reported_and_retried(repo: Path) -> None:
    configure(
        repo,
        rules=[
            {
                "name": "cpu",
                "metric": "cpu_usage",
                "op": ">",
                "threshold": 0.75,
                "action": "run",
                "run": [sys.executable, "-c", "raise SystemExit(3)"],
            }
        ],
    )
    first = inc("watch", "--metrics", "-", input='{"cpu_usage": 0.9}', root=repo)
    assert first.code == 0
    assert "run failed: exited with status 3" in first.stdout
    second = inc("watch", "--metrics", "-", input='{"cpu_usage": 0.9}', root=repo)
    assert "run failed" in second.stdout  # not remembered as done


def test_watch_json_names_each_rule_what_crossed_and_what_was_done(repo: Path) -> None:
    configure(repo, rules=[{**RULES[1], "labels": {"instance": "web-2:9100"}}, {**RULES[2], "threshold": 0.004}])
    reports = inc("watch", "--metrics", "-", "--dry-run", "--json", input=PROM, root=repo).json
    assert reports == [
        {
            "rule": {
                "name": "cpu",
                "metric": "cpu_usage",
                "labels": {"instance": "web-2:9100"},
                "op": ">",
                "threshold": 0.75,
                "action": "notify",
                "severity": None,
            },
            "status": "firing",
            "crossing": [
                {
                    "metric": "cpu_usage",
                    "labels": {"instance": "web-2:9100", "note": 'a "quoted", {braced} value'},
                    "value": 0.88,
                }  # fmt: skip
            ],
            "outcome": "would notify (0 rule_triggered hooks)",
            "incident": None,
        },
        {
            "rule": {
                "name": "errors",
                "metric": "error_rate",
                "labels": {},
                "op": ">=",
                "threshold": 0.004,
                "action": "open",
                "severity": "SEV3",
            },
            "status": "firing",
            "crossing": [{"metric": "error_rate", "labels": {}, "value": 0.004}],
            "outcome": "would open a SEV3 incident",
            "incident": None,
        },
    ]


def test_infinite_and_missing_values_are_written_as_words_in_json(repo: Path) -> None:
    configure(repo, rules=[{"name": "hot", "metric": "temp", "op": ">", "threshold": 1, "action": "notify"}])
    reports = inc(
        "watch", "--metrics", "-", "--dry-run", "--json", input="temp +Inf\ntemp NaN\ntemp 3\n", root=repo
    ).json
    assert [s["value"] for s in reports[0]["crossing"]] == ["inf", 3]  # NaN crosses nothing
    seen = inc("watch", "--metrics", "-", "--dry-run", input="temp -Inf\n", root=repo).stdout
    assert "temp = -inf, not > 1" in seen


def test_watch_says_what_it_saw_for_each_rule(repo: Path) -> None:
    rules = [
        {
            "name": "gone",
            "metric": "disk_free",
            "labels": {"mount": "/", "host": "db-1"},
            "op": "<",
            "threshold": 1,
            "action": "notify",
        },  # fmt: skip
        {"name": "nothing", "metric": "queue", "op": ">", "threshold": 1, "action": "notify"},
        {"name": "many", "metric": "lag", "op": ">", "threshold": 10, "action": "notify"},
        {"name": "low", "metric": "free", "op": "<=", "threshold": 5, "action": "notify"},
        {"name": "fine", "metric": "free", "op": "<", "threshold": 2, "action": "notify"},
        {"name": "fine-high", "metric": "lag", "op": ">", "threshold": 100, "action": "notify"},
    ]
    configure(repo, rules=rules)
    metrics = "\n".join([*(f'lag{{n="{n}"}} {20 + n}' for n in range(7)), "free 7", "free 3", "free 5", "free NaN"])
    seen = {row.split("\t")[0]: row.split("\t")[1] for row in
            inc("watch", "--metrics", "-", "--dry-run", input=metrics, root=repo).stdout.splitlines()[1:]}  # fmt: skip
    assert seen == {
        "gone": 'no sample of disk_free{host="db-1",mount="/"}',
        "nothing": "no sample of queue",
        "many": 'lag{n="0"} = 20, lag{n="1"} = 21, lag{n="2"} = 22, lag{n="3"} = 23, lag{n="4"} = 24 and 2 more > 10',
        "low": "free = 3, free = 5 <= 5",
        "fine": "free = 3, not < 2",
        "fine-high": 'lag{n="6"} = 26, not > 100',
    }
    five = "\n".join(f'lag{{n="{n}"}} {20 + n}' for n in range(5))
    seen = inc("watch", "--metrics", "-", "--dry-run", input=five, root=repo).stdout
    assert "= 24 > 10\t" in seen and "more" not in seen


def test_the_worst_crossing_sample_is_the_one_a_command_gets(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    script = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
    rules = [{"name": "low", "metric": "free", "op": "<", "threshold": 10, "action": "run",
              "run": [sys.executable, "-c", script, str(out)]}]  # fmt: skip
    configure(repo, rules=rules)
    inc("watch", "--metrics", "-", input='free{d="a"} 4\nfree{d="b"} 2\nfree{d="c"} 8\n', root=repo)
    env = json.loads(out.read_text())
    assert (env["INC_VALUE"], env["INC_LABELS"], env["INC_OP"]) == ("2", '{"d": "b"}', "<")
    rules[0] |= {"op": ">", "threshold": 1, "name": "high"}
    configure(repo, rules=rules)
    inc("watch", "--metrics", "-", input='free{d="a"} 4\nfree{d="b"} 2\nfree{d="c"} 8\n', root=repo)
    assert json.loads(out.read_text())["INC_VALUE"] == "8"


def test_watch_without_rules_says_how_to_add_them(repo: Path) -> None:
    result = inc("watch", "--metrics", "-", input="{}", root=repo, code=None)
    assert result.code == 4
    assert "no rules in incli.yaml" in result.stderr


# -- inc remind ----------------------------------------------------------------


def recorder(tmp_path: Path) -> tuple[list[str], Path]:
    out = tmp_path / "reminders.jsonl"
    script = (
        "import json, os, sys; open(sys.argv[1], 'a').write(json.dumps({'env': {k: v for k, v in "
        "os.environ.items() if k.startswith('INC_')}, 'stdin': json.load(sys.stdin)}) + '\\n')"
    )
    return [sys.executable, "-c", script, str(out)], out


def lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []


def test_remind_fires_once_per_overdue_item(repo: Path, tmp_path: Path) -> None:
    argv, out = recorder(tmp_path)
    configure(
        repo,
        hooks={"ack_overdue": [{"run": argv}], "update_overdue": [{"run": argv}], "action_overdue": [{"run": argv}]},
    )
    t0 = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    svc = Service(find_repository(repo), clock=lambda: t0, user=lambda: "alice")
    opened = svc.open("Database connection pool exhausted", "SEV2", at="2025-01-15T14:30:00+00:00")
    quiet = svc.open("Resolved long ago", "SEV4", at="2025-01-10T09:00:00+00:00")
    svc.transition(quiet.id, "resolve", at="2025-01-10T10:00:00+00:00")
    path = repo / "incidents" / f"{quiet.id}.yaml"
    data = yaml.safe_load(path.read_text())
    data["actions"] = [
        {
            "id": "ACT-7kq2x",
            "title": "Add pool saturation alert",
            "owner": "alice",
            "due": "2025-01-12",
            "status": "open",
        },
        {"id": "ACT-9abcd", "title": "Done already", "owner": "bob", "due": "2025-01-11", "status": "done"},
        {"id": "ACT-8efgh", "title": "Not due yet", "owner": "bob", "due": "2025-02-01", "status": "open"},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    def at(moment: datetime) -> list[str]:
        service = Service(find_repository(repo), clock=lambda: moment)
        hooks = Hooks(service.config, service.repo.root, lambda line: None)
        return [f"{r.event} {r.incident.id} {r.due}" for r in remind(service, hooks)]

    # 14:50: SEV2 acknowledgement was due at 14:45; the action item since the 12th
    first = at(datetime(2025, 1, 15, 14, 50, tzinfo=UTC))
    assert first == [f"action_overdue {quiet.id} 2025-01-12", f"ack_overdue {opened.id} 2025-01-15T14:45:00+00:00"]
    assert at(datetime(2025, 1, 15, 14, 55, tzinfo=UTC)) == []  # nothing twice
    # 15:01: the 30-minute update is overdue too
    assert at(datetime(2025, 1, 15, 15, 1, tzinfo=UTC)) == [f"update_overdue {opened.id} 2025-01-15T15:00:00+00:00"]
    # an update resets the cadence; the next lapse is a new reminder
    Service(find_repository(repo), clock=lambda: datetime(2025, 1, 15, 15, 5, tzinfo=UTC)).add_entry(
        opened.id, "update", "Pool restarted"
    )
    assert at(datetime(2025, 1, 15, 15, 20, tzinfo=UTC)) == []
    assert at(datetime(2025, 1, 15, 15, 36, tzinfo=UTC)) == [f"update_overdue {opened.id} 2025-01-15T15:35:00+00:00"]

    calls = lines(out)
    assert [c["env"]["INC_EVENT"] for c in calls] == [
        "action_overdue",
        "ack_overdue",
        "update_overdue",
        "update_overdue",
    ]
    assert calls[0]["env"]["INC_ACTION_ID"] == "ACT-7kq2x" and calls[0]["env"]["INC_ACTION_OWNER"] == "alice"
    assert calls[1]["env"]["INC_ID"] == opened.id and calls[1]["stdin"]["id"] == opened.id
    state = json.loads((repo / ".incli" / "reminders.json").read_text())
    assert f"{opened.id}/update/2025-01-15T15:35:00+00:00" in state


def test_remind_cli_dry_run_and_failed_hooks_retry(repo: Path) -> None:
    configure(repo, hooks={"ack_overdue": [{"run": [sys.executable, "-c", "raise SystemExit(1)"]}]})
    incident_id = inc("open", "Search is slow", "-s", "SEV1", "--at", "2h ago", root=repo).stdout.strip()
    dry = inc("remind", "--dry-run", root=repo)
    assert dry.code == 0
    assert dry.stdout.splitlines()[0] == "Incident\tEvent\tDue\tOverdue\tOutcome"
    assert f"{incident_id}\tack_overdue\t" in dry.stdout
    assert "\tacknowledgement: Search is slow\twould fire 1 ack_overdue hook\n" in dry.stdout
    assert not (repo / ".incli" / "reminders.json").exists()
    failed = inc("remind", root=repo)
    assert failed.code == 0
    assert "1 of 1 ack_overdue hooks failed; will retry" in failed.stdout
    assert "exited with status 1" in failed.stderr
    again = inc("remind", "--json", root=repo)
    assert any(item["event"] == "ack_overdue" for item in json.loads(again.stdout))


def test_remind_refuses_a_broken_hooks_section(repo: Path) -> None:
    configure(repo, hooks={"ack_overdue": [{"run": "echo late"}]})
    result = inc("remind", root=repo, code=None)
    assert result.code == 4
    assert "hooks.ack_overdue[0]" in result.stderr


def test_remind_skips_acknowledgement_of_a_mitigated_incident(repo: Path) -> None:
    svc = Service(find_repository(repo), clock=lambda: datetime(2025, 1, 15, 16, 0, tzinfo=UTC), user=lambda: "a")
    incident = svc.open("Alert came and went", "SEV2", at="2025-01-15T14:30:00+00:00")
    svc.transition(incident.id, "mitigate", at="2025-01-15T14:35:00+00:00")
    hooks = Hooks(svc.config, svc.repo.root, lambda line: None)
    assert [r.event for r in remind(svc, hooks, dry_run=True)] == ["update_overdue"]
