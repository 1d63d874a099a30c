"""`make bench`: Candor's benchmarks, each printed next to a ceiling measured in the same run.

- ingest: Alertmanager payloads over HTTP into incident-api on PostgreSQL (200 distinct
  fingerprints, every request a state change: the alerts fire, then resolve, then fire
  again), against a bare FastAPI endpoint that validates the same payload and does nothing
  else. Runs alternate between the two, and medians of the rounds are reported.
- alert to email: with no notification delay, the time from the POST to the SMTP server's
  acceptance of the email, over 100 alerts that each open an incident.
- memory: the peak RSS (VmHWM) of each service process over the whole run.
- fan-out: one notice to 10,000 email recipients and 1,000 webhook endpoints, next to a
  bare SMTP client's and a bare HTTP client's rate against the same catchers
  (:mod:`candor_dev.bench_fanout`).

Figures go to stdout and to bench/results/latest.json and latest.md. Machines are shared
and noisy; read the ratio and the medians, not one run's figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import typer
from sqlalchemy.engine import make_url

from candor_dev.bench_fanout import fan_out
from candor_dev.bench_fanout import markdown as fan_out_markdown
from candor_dev.broker import EmbeddedBroker
from candor_dev.loadgen import build_request, run_load
from candor_dev.mailcatcher import MailCatcher
from candor_dev.pgtest import ensure_database
from candor_dev.ports import free_port

RESULTS = Path("bench/results")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
FINGERPRINTS = 200

app = typer.Typer(add_completion=False)


@dataclass
class Process:
    """A service under test, in its own process group."""

    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str
    popen: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: Path("bench/results/.log"))

    def start(self) -> None:
        self.log_path = RESULTS / f".{self.name}.log"
        log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.health_url, timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s: see {self.log_path}")

    def peak_rss_mb(self) -> float:
        assert self.popen is not None
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        assert self.popen is not None
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def _payload(index: int, *, service: str) -> bytes:
    fingerprint = index % FINGERPRINTS
    round_ = index // FINGERPRINTS
    firing = round_ % 2 == 0
    starts = T0 + timedelta(minutes=2 * (round_ if firing else round_ - 1))
    ends = starts + timedelta(seconds=60)
    labels = {"alertname": f"Probe{fingerprint}", "service": service, "severity": "critical"}
    alert = {
        "status": "firing" if firing else "resolved",
        "labels": labels,
        "annotations": {"summary": f"Probe {fingerprint} failing"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z" if firing else ends.isoformat().replace("+00:00", "Z"),
        "generatorURL": "http://prometheus.example.org/graph",
        "fingerprint": f"bench{fingerprint:04d}",
    }
    body = {
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "status": alert["status"],
        "receiver": "candor",
        "groupLabels": {},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example.org",
        "alerts": [alert],
    }
    return json.dumps(body).encode()


async def _load(
    url: str, *, key: str, first: int, total: int, concurrency: int, service: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    requests = [
        build_request(url, "/v1/ingest/alertmanager", _payload(first + n, service=service), headers)
        for n in range(total)
    ]
    result = await run_load(url, requests, concurrency=concurrency)
    return {
        "requests": total,
        "seconds": round(result.seconds, 3),
        "rps": round(result.rps, 1),
        "p50_ms": round(result.percentile_ms(0.50), 2),
        "p99_ms": round(result.percentile_ms(0.99), 2),
        "statuses": result.statuses,
    }


async def _wait_quiet(processes: list[Process], *, limit_seconds: float = 60) -> None:
    """Wait until every service has caught up (under 10% of a core for half a second), so
    that one round's backlog does not slow the next round's measurement."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        before = [process.cpu_seconds() for process in processes]
        await asyncio.sleep(0.5)
        after = [process.cpu_seconds() for process in processes]
        if all(b - a < 0.05 for a, b in zip(before, after, strict=True)):
            return


def _per_request(cpu_seconds: float, requests: int) -> float:
    return round(cpu_seconds * 1000 / requests, 3)


async def _admin(api: str, token: str, method: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        response = await client.request(
            method, path, json=body, headers={"authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        return response.json()


async def _reset_schemas(url: str, schemas: list[str]) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database,
    )
    try:
        for schema in schemas:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


async def _latency(api: str, key: str, mail: MailCatcher, alerts: int) -> dict[str, Any]:
    samples: list[float] = []
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        for n in range(alerts):
            before = len(mail.mails)
            starts = T0 + timedelta(hours=n)
            for status in ("firing", "resolved"):
                alert = {
                    "status": status,
                    "labels": {"alertname": "Latency", "service": "latency"},
                    "annotations": {"summary": "Latency probe"},
                    "startsAt": starts.isoformat(),
                    "endsAt": (starts + timedelta(minutes=1)).isoformat()
                    if status == "resolved"
                    else "0001-01-01T00:00:00Z",
                    "fingerprint": "latency",
                }
                body = {"version": "4", "status": status, "alerts": [alert]}
                posted = time.time()
                response = await client.post(
                    "/v1/ingest/alertmanager",
                    json=body,
                    headers={"authorization": f"Bearer {key}"},
                )
                response.raise_for_status()
                arrived = await asyncio.to_thread(mail.wait_for, before + 1, timeout=30)
                if len(arrived) <= before:
                    raise RuntimeError(f"no email for alert {n} ({status}) within 30 s")
                if status == "firing":
                    samples.append(arrived[before].accepted_at - posted)
                before = len(arrived)
    samples.sort()
    return {
        "alerts": alerts,
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1] * 1000, 1),
        "max_ms": round(samples[-1] * 1000, 1),
    }


async def _main(
    rounds: int,
    requests: int,
    concurrency: int,
    latency_alerts: int,
    ingest_only: bool,
    fan_out_emails: int = 10_000,
    fan_out_webhooks: int = 1_000,
) -> None:
    await asyncio.to_thread(RESULTS.mkdir, parents=True, exist_ok=True)
    database_url = os.environ.get(
        "CANDOR_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/candor_bench"
    )
    await ensure_database(database_url)
    schemas = {"api": "bench_api", "sla": "bench_sla", "notifier": "bench_notifier"}
    await _reset_schemas(database_url, [*schemas.values(), "bench_fanout"])
    broker = EmbeddedBroker()
    broker.start()
    mail = MailCatcher()
    mail.start()
    token = secrets.token_urlsafe(16)
    api_port, sla_port, notifier_port, bare_port = (free_port() for _ in range(4))
    common = {
        "CANDOR_DATABASE_URL": database_url,
        "CANDOR_KAFKA_BOOTSTRAP": broker.bootstrap,
        "CANDOR_KAFKA_TOPIC_PREFIX": f"bench{secrets.token_hex(3)}.",
        "CANDOR_LOG_LEVEL": "WARNING",
        "CANDOR_LOG_FORMAT": "json",
    }
    api_url = f"http://127.0.0.1:{api_port}"
    processes = [
        Process(
            "incident-api",
            [sys.executable, "-m", "candor_incident_api.main", "serve"],
            {
                **common,
                "CANDOR_DATABASE_SCHEMA": schemas["api"],
                "CANDOR_API_PORT": str(api_port),
                "CANDOR_ADMIN_TOKEN": token,
            },
            f"{api_url}/readyz",
        ),
        Process(
            "sla-monitor",
            [sys.executable, "-m", "candor_sla_monitor", "run"],
            {
                **common,
                "CANDOR_DATABASE_SCHEMA": schemas["sla"],
                "CANDOR_SLA_MONITOR_PORT": str(sla_port),
            },
            f"http://127.0.0.1:{sla_port}/healthz",
        ),
        Process(
            "notifier",
            [sys.executable, "-m", "candor_notifier", "run"],
            {
                **common,
                "CANDOR_DATABASE_SCHEMA": schemas["notifier"],
                "CANDOR_NOTIFIER_PORT": str(notifier_port),
                "CANDOR_SMTP_URL": mail.url,
            },
            f"http://127.0.0.1:{notifier_port}/healthz",
        ),
    ]
    bare = Process(
        "bare-fastapi",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "candor_dev.bench_bare:app",
            "--port",
            str(bare_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        {},
        f"http://127.0.0.1:{bare_port}/healthz",
    )
    if ingest_only:
        processes = processes[:1]
    try:
        for process in [*processes, bare]:
            process.start()
        for process in [*processes, bare]:
            process.wait_ready()
        for slug, name in (("bench", "Bench"), ("latency", "Latency")):
            await _admin(api_url, token, "POST", "/v1/services", {"slug": slug, "name": name})
        await _admin(
            api_url,
            token,
            "POST",
            "/v1/subscribers",
            {"email": "watcher@example.org", "services": ["bench", "latency"]},
        )
        key = (
            await _admin(
                api_url,
                token,
                "POST",
                "/v1/integrations",
                {"name": "bench", "source": "alertmanager"},
            )
        )["key"]
        # Let the notifier see the subscriber before alerts flow.
        await asyncio.sleep(2)

        candor_runs: list[dict[str, Any]] = []
        bare_runs: list[dict[str, Any]] = []
        done = 0
        await _load(
            bare.health_url.rsplit("/", 1)[0],
            key="-",
            first=0,
            total=500,
            concurrency=concurrency,
            service="bench",
        )
        for round_ in range(rounds):
            await _wait_quiet(processes)
            bare_cpu = bare.cpu_seconds()
            bare_runs.append(
                await _load(
                    bare.health_url.rsplit("/", 1)[0],
                    key="-",
                    first=done,
                    total=requests,
                    concurrency=concurrency,
                    service="bench",
                )
            )
            bare_runs[-1]["cpu_ms_per_request"] = _per_request(
                bare.cpu_seconds() - bare_cpu, requests
            )
            await _wait_quiet(processes)
            cpu = [process.cpu_seconds() for process in processes]
            candor_runs.append(
                await _load(
                    api_url,
                    key=key,
                    first=done,
                    total=requests,
                    concurrency=concurrency,
                    service="bench",
                )
            )
            # The services' CPU time for this round's requests, until they have caught up
            # (what the consumers do with the events counts too): steadier than req/s on a
            # shared machine, where neighbours take CPU from the whole run.
            await _wait_quiet(processes)
            candor_runs[-1]["cpu_ms_per_request"] = {
                process.name: _per_request(process.cpu_seconds() - before, requests)
                for process, before in zip(processes, cpu, strict=True)
            }
            done += requests
            print(
                f"round {round_ + 1}: candor {candor_runs[-1]['rps']} req/s, "
                f"bare {bare_runs[-1]['rps']} req/s",
                flush=True,
            )
        memory = {process.name: round(process.peak_rss_mb(), 1) for process in processes}
        await _wait_quiet(processes)
        latency = (
            {"alerts": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
            if ingest_only
            else await _latency(api_url, key, mail, latency_alerts)
        )
        memory_after = {process.name: round(process.peak_rss_mb(), 1) for process in processes}
    finally:
        for process in [*processes, bare]:
            process.stop()
        mail.stop()
        broker.stop()

    fanned = (
        None
        if ingest_only
        else await fan_out(
            emails=fan_out_emails,
            webhooks=fan_out_webhooks,
            rounds=rounds,
            database_url=database_url,
        )
    )

    def median(runs: list[dict[str, Any]], name: str) -> float:
        return float(statistics.median(run[name] for run in runs))

    ingest = {
        "candor": {k: median(candor_runs, k) for k in ("rps", "p50_ms", "p99_ms")},
        "bare_fastapi": {k: median(bare_runs, k) for k in ("rps", "p50_ms", "p99_ms")},
        "ratio": round(median(candor_runs, "rps") / median(bare_runs, "rps"), 3),
        "cpu_ms_per_request": {
            "bare_fastapi": median(bare_runs, "cpu_ms_per_request"),
            **{
                name: float(
                    statistics.median(run["cpu_ms_per_request"][name] for run in candor_runs)
                )
                for name in candor_runs[0]["cpu_ms_per_request"]
            },
        },
        "target_ratio": 0.25,
        "rounds": rounds,
        "requests_per_round": requests,
        "concurrency": concurrency,
        "fingerprints": FINGERPRINTS,
        "non_2xx": sum(
            count
            for run in candor_runs
            for status, count in run["statuses"].items()
            if not 200 <= int(status) < 300
        ),
        "runs": {"candor": candor_runs, "bare_fastapi": bare_runs},
    }
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": "PostgreSQL",
        "ingest": ingest,
        "alert_to_email": {**latency, "target_p50_ms": 250, "target_p99_ms": 1000},
        "peak_rss_mb": {
            "during_ingest": memory,
            "whole_run": memory_after,
            "target_mb": 200,
        },
        "fan_out": fanned,
    }
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(_markdown(results))
    print(_markdown(results))


def _markdown(results: dict[str, Any]) -> str:
    ingest = results["ingest"]
    latency = results["alert_to_email"]
    memory = results["peak_rss_mb"]["whole_run"]
    lines = [
        f"Benchmarks of {results['when']} ({results['machine']['cpus']} CPUs, "
        f"Python {results['machine']['python']}, {results['database']}); medians of "
        f"{ingest['rounds']} alternating rounds of {ingest['requests_per_round']} requests "
        f"at concurrency {ingest['concurrency']}.",
        "",
        "| measure | Candor | ceiling (same run) | ratio | target |",
        "| --- | --- | --- | --- | --- |",
        f"| ingest req/s | {ingest['candor']['rps']} | {ingest['bare_fastapi']['rps']} "
        f"(bare FastAPI) | {ingest['ratio']} | >= {ingest['target_ratio']} |",
        f"| ingest p50 / p99 ms | {ingest['candor']['p50_ms']} / {ingest['candor']['p99_ms']} "
        f"| {ingest['bare_fastapi']['p50_ms']} / {ingest['bare_fastapi']['p99_ms']} | | |",
        f"| alert to email p50 / p99 ms ({latency['alerts']} alerts) | "
        f"{latency['p50_ms']} / {latency['p99_ms']} | | | <= 250 / <= 1000 |",
        *(f"| peak RSS {name} MB | {value} | | | <= 200 |" for name, value in memory.items()),
        "",
        f"Non-2xx answers from Candor during the ingest rounds: {ingest['non_2xx']}.",
        "",
        "CPU time per ingest request (ms, medians of the rounds; each service counted until "
        "it has caught up with the round's events; steadier than req/s on a shared machine): "
        + ", ".join(f"{name} {value}" for name, value in ingest["cpu_ms_per_request"].items())
        + ".",
        "",
    ]
    if results.get("fan_out"):
        lines.append(fan_out_markdown(results["fan_out"]))
    return "\n".join(lines)


@app.command()
def main(
    rounds: int = typer.Option(3, help="Alternating rounds of Candor and the bare endpoint."),
    requests: int = typer.Option(3000, help="Requests per round."),
    concurrency: int = typer.Option(32, help="Requests in flight."),
    latency_alerts: int = typer.Option(100, help="Alerts timed from POST to SMTP acceptance."),
    ingest_only: bool = typer.Option(False, help="Only incident-api and the ingest rounds."),
    fan_out_emails: int = typer.Option(10_000, help="Email recipients of the fan-out notice."),
    fan_out_webhooks: int = typer.Option(1_000, help="Webhook endpoints of the fan-out notice."),
) -> None:
    """Run the benchmarks and write bench/results/latest.{json,md}."""
    asyncio.run(
        _main(
            rounds,
            requests,
            concurrency,
            latency_alerts,
            ingest_only,
            fan_out_emails,
            fan_out_webhooks,
        )
    )


if __name__ == "__main__":
    app()
