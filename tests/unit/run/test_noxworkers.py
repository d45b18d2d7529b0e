"""noxworkers: -j N as N nox processes, each with its share of the sessions."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from orchestrator.run import noxworkers


def test_cells_are_dealt_round_robin_to_at_most_jobs_processes():
    names = [f"test(c{i})" for i in range(5)]
    assert noxworkers.deal(names, 2) == [names[0::2], names[1::2]]
    assert noxworkers.deal(names, 1) == [names]
    assert noxworkers.deal(names[:1], 4) == [names[:1]]
    assert noxworkers.deal([], 3) == [[]]


@pytest.mark.parametrize(
    ("codes", "combined"), [([0, 0], 0), ([0, 1], 1), ([1, 2], 2), ([130, 1], 130), ([], 0)]
)
def test_exit_codes_combine_noxfile_errors_and_interrupts_first(codes, combined):
    assert noxworkers.combine(codes) == combined


def test_workers_look_like_one_process_and_their_reports_merge(tmp_path):
    script = (
        "import json, sys; args = sys.argv[1:]; "
        "report = args[args.index('--report') + 1]; names = args[args.index('-s') + 1:]; "
        "json.dump({'result': int(len(names) > 1), 'sessions': [{'name': n} for n in names]}, "
        "open(report, 'w')); print('ran', *names); sys.exit(len(names) > 1)"
    )
    log, report = tmp_path / "nox.log", tmp_path / ".nox-report.json.partial"
    workers = noxworkers.start(
        [sys.executable, "-c", script], ["a", "b", "c"], 2, noxworkers.Outputs(report, log), {}
    )
    assert workers.wait(timeout=60) == 1
    assert workers.poll() == 1 and workers.returncode == 1
    workers.merge_reports(report)
    merged = json.loads(report.read_text())
    assert sorted(s["name"] for s in merged["sessions"]) == ["a", "b", "c"]
    assert merged["result"] == 1
    assert sorted(tmp_path.iterdir()) == [report, log]  # the parts are gone
    text = log.read_text()
    assert "ran a c" in text and "ran b" in text and text.count("$ ") == 2


def test_a_torn_report_is_not_merged(tmp_path):
    report = tmp_path / "r"
    (tmp_path / "r.1").write_text('{"result": 0')
    workers = noxworkers.NoxWorkers([], [tmp_path / "r.1"])
    workers.merge_reports(report)
    assert not report.exists()


def test_wait_times_out_like_popen(tmp_path):
    workers = noxworkers.start(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        ["x"],
        1,
        noxworkers.Outputs(tmp_path / "r", tmp_path / "log"),
        {},
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            workers.wait(timeout=0.1)
        assert workers.poll() is None
    finally:
        workers.send_signal(9)
        workers.wait(timeout=30)


def test_the_cells_report_adds_to_the_bases_report_of_the_same_run(tmp_path):
    from orchestrator.run import noxrun, rundir

    run = rundir.RunDir(tmp_path)
    (tmp_path / "nox-report.json").write_text(
        json.dumps({"result": 1, "sessions": [{"name": "base(py3.9)", "result": "failed"}]})
    )
    part = tmp_path / ".nox-report.json.partial.1"
    part.write_text(json.dumps({"result": 0, "sessions": [{"name": "test(c)"}]}))
    noxrun.keep_report(run, noxworkers.NoxWorkers([], [part]))
    report = json.loads((tmp_path / "nox-report.json").read_text())
    assert [s["name"] for s in report["sessions"]] == ["base(py3.9)", "test(c)"]
    assert report["result"] == 1
    assert not part.exists()
