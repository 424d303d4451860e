"""Each guard query source against real servers: loopback HTTP, PostgreSQL, bash."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwtui.actions.base import ActionContext
from dwtui.checklist.model import Guard, Step
from dwtui.watch_guards.sources import Reading, SampleError, SampleRequest, take_sample
from tests.helpers.http_fixtures import RecordingServer
from tests.helpers.pg_fixtures import pg_dsn  # noqa: F401  (a fixture)

METRICS = """\
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/"} 1027
http_requests_total{code="500",path="/"} 3
http_requests_total{code="500",path="/api"} 4
# HELP queue_depth Items waiting.
# TYPE queue_depth gauge
queue_depth 12.5
"""


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer()
    try:
        yield srv
    finally:
        srv.close()


def _sample(kind: str, guard: Guard | None = None, timeout: float = 2.0, **params: Any) -> Reading:
    return take_sample(kind, SampleRequest(params=params, timeout=timeout, guard=guard or Guard()))


def test_http_json_reads_the_number_at_the_path(server: RecordingServer) -> None:
    server.reply("GET", "/stats", json={"data": [{"rate": 0.25}], "text": "x"})
    reading = _sample("http", url=server.url + "/stats", path="data.0.rate")
    assert reading.value == 0.25 and "data.0.rate" in reading.detail
    with pytest.raises(SampleError, match=r"no 'data\.1\.rate'"):
        _sample("http", url=server.url + "/stats", path="data.1.rate")
    with pytest.raises(SampleError, match="text is not a number"):
        _sample("http", url=server.url + "/stats", path="text")
    with pytest.raises(SampleError, match="HTTP 404"):
        _sample("http", url=server.url + "/missing", path="a")


def test_http_headers_are_sent(server: RecordingServer) -> None:
    server.reply("GET", "/s", json={"v": 1})
    _sample("http", url=server.url + "/s", path="v", headers={"X-Token": "t1"})
    assert server.requests[-1].headers.get("X-Token") == "t1"


def test_prometheus_instant_query_vector_and_scalar(server: RecordingServer) -> None:
    answers = {
        "one": {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [{"metric": {"job": "web"}, "value": [1700000000.1, "0.031"]}],
            },
        },
        "two": {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [{"metric": {}, "value": [1, "1"]}, {"metric": {}, "value": [1, "2"]}],
            },
        },
        "none": {"status": "success", "data": {"resultType": "vector", "result": []}},
        "scalar": {"status": "success", "data": {"resultType": "scalar", "result": [1, "42"]}},
        "bad": {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"},
    }
    from tests.helpers.http_fixtures import Response

    def answer(request: Any, _match: Any) -> Response:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.path).query)["query"][0]
        return Response(400 if query == "bad" else 200, answers[query])

    server.add("GET", "/api/v1/query", answer)
    assert _sample("prometheus", url=server.url, query="one").value == 0.031
    assert _sample("prometheus", url=server.url + "/api/v1/query", query="scalar").value == 42
    with pytest.raises(SampleError, match="2 series; aggregate"):
        _sample("prometheus", url=server.url, query="two")
    with pytest.raises(SampleError, match="no series"):
        _sample("prometheus", url=server.url, query="none")
    with pytest.raises(SampleError, match="HTTP 400"):
        _sample("prometheus", url=server.url, query="bad")
    assert "query=one" in server.requests[0].path


def test_metrics_text_sums_the_matching_samples(server: RecordingServer) -> None:
    server.reply("GET", "/metrics", text=METRICS)
    url = server.url + "/metrics"
    five = _sample("metrics", url=url, name="http_requests_total", labels={"code": "500"})
    assert five.value == 7.0 and "2 samples" in five.detail
    assert _sample("metrics", url=url, name="queue_depth").value == 12.5
    with pytest.raises(SampleError, match=re.escape('no sample http_requests_total{code="404"}')):
        _sample("metrics", url=url, name="http_requests_total", labels={"code": "404"})


def test_a_silent_server_times_out_within_the_timeout() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    try:
        port = listener.getsockname()[1]
        with pytest.raises(SampleError, match=r"0\.3 s"):
            _sample("http", url=f"http://127.0.0.1:{port}/", path="a", timeout=0.3)
    finally:
        listener.close()


def test_the_forbid_patterns_refuse_before_anything_is_sent(server: RecordingServer) -> None:
    server.reply("GET", "/s", json={"v": 1})
    with pytest.raises(SampleError, match="refused by guard"):
        _sample("http", guard=Guard(forbid=("127.0.0.1",)), url=server.url + "/s", path="v")
    with pytest.raises(SampleError, match="refused by guard"):
        _sample("shell", guard=Guard(forbid=("prod",)), command="psql -h db.prod.x -c 1")
    assert server.requests == []


def test_shell_number_is_the_last_line(tmp_path: Path) -> None:
    assert _sample("shell", command="echo starting; echo 3").value == 3.0
    with pytest.raises(SampleError, match="exited 2"):
        _sample("shell", command="echo oops; exit 2")
    with pytest.raises(SampleError, match="not a number"):
        _sample("shell", command="echo many")
    with pytest.raises(SampleError, match=r"did not end within 0\.2 s"):
        _sample("shell", command="sleep 5", timeout=0.2)


def _sql_context(tmp_path: Path) -> Any:
    from tests.helpers.engine_support import make_checklist

    checklist = make_checklist([])

    def build(params: Any, timeout: float) -> ActionContext:
        import threading

        from dwtui.checklist.model import TargetSpec

        class Log:
            def write(self, text: str) -> None: ...
            def line(self, text: str) -> None: ...

        return ActionContext(
            step=Step(id="guard.x", title="x", kind="sql", params=params, timeout=timeout),
            params=params,
            checklist=checklist,
            target=TargetSpec(name="l", kind="local"),
            guard=Guard(),
            log=Log(),
            cancel=threading.Event(),
            session_id="s",
            operator="o",
            session_dir=tmp_path,
            artifacts_dir=tmp_path,
            timeout=timeout,
        )

    return build


def test_sql_scalar_is_read_only(tmp_path: Path, pg_dsn: str) -> None:  # noqa: F811
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("create table orders (id int, region text)")
        conn.execute("insert into orders values (1, 'eu'), (2, null), (3, null)")
    build = _sql_context(tmp_path)

    def sql(query: str) -> Reading:
        return take_sample(
            "sql",
            SampleRequest(
                params={"query": query, "dsn": pg_dsn},
                timeout=5.0,
                guard=Guard(),
                sql_context=build,
            ),
        )

    assert sql("select count(*) from orders where region is null").value == 2.0
    with pytest.raises(SampleError, match=r"(?i)read-only|not allowed|refus"):
        sql("delete from orders")
    with pytest.raises(SampleError, match="2 statements"):
        sql("select 1; select 2")
    with pytest.raises(SampleError, match="no value"):
        sql("select region from orders where id = 2")
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("select count(*) from orders").fetchone() == (3,)
