"""Executing notebooks in parallel lanes: dependencies, the lane limit, failures (predact_utils.book.build)."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from conftest import build_book, make_book

from predact_utils.book.build import AFTER, BookBuildError, kernel_environment, lane_environment, run_in_lanes


class _Recorder:
    """A fake notebook run: sleeps, records start and end order and the peak number running at once."""

    def __init__(self, seconds: dict[str, float], fail: str | None = None) -> None:
        self.seconds, self.fail = seconds, fail
        self.events: list[tuple[str, str]] = []
        self.running = self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, name: str) -> float:
        with self.lock:
            self.events.append(("start", name))
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(self.seconds.get(name, 0.01))
        with self.lock:
            self.running -= 1
            self.events.append(("end", name))
        if name == self.fail:
            raise RuntimeError(f"planted failure in {name}")
        return self.seconds.get(name, 0.01)

    def index(self, kind: str, name: str) -> int:
        return self.events.index((kind, name))


def test_one_lane_runs_in_order_and_returns_each_result() -> None:
    rec = _Recorder({"a": 0.01, "b": 0.02})
    assert run_in_lanes(["a", "b", "c"], rec, lanes=1, after={}) == {"a": 0.01, "b": 0.02, "c": 0.01}
    assert rec.events == [("start", "a"), ("end", "a"), ("start", "b"), ("end", "b"), ("start", "c"), ("end", "c")]
    assert rec.peak == 1


def test_two_lanes_respect_dependencies_and_the_lane_limit() -> None:
    # a is slow, c needs a, d needs all the others; x is not in this build, so its entry is ignored
    rec = _Recorder({"a": 0.3, "b": 0.05, "c": 0.05, "e": 0.05, "d": 0.01})
    done: list[str] = []
    out = run_in_lanes(["a", "b", "c", "e", "d"], rec, lanes=2, after={"c": ("a",), "d": ("*",), "x": ("a",)},
                       on_done=lambda n, _: done.append(n))
    assert set(out) == {"a", "b", "c", "e", "d"} and sorted(done) == sorted(out)
    assert rec.peak == 2
    assert rec.index("start", "b") < rec.index("end", "a")  # b ran beside a
    assert rec.index("start", "e") < rec.index("end", "a")  # so did e, which was ready before c
    assert rec.index("start", "c") > rec.index("end", "a")  # c waited for a
    assert rec.index("start", "d") == len(rec.events) - 2  # d started after every other one ended


def test_the_longest_expected_chain_goes_first() -> None:
    # a alone takes 1 s, but c (10 s) waits for it: the chain a -> c (11 s) starts before b (5 s)
    rec = _Recorder({})
    run_in_lanes(["b", "d", "a", "c"], rec, lanes=1, after={"c": ("a",)}, expected={"a": 1, "b": 5, "c": 10})
    assert [n for kind, n in rec.events if kind == "start"] == ["a", "c", "b", "d"]
    rec = _Recorder({})
    run_in_lanes(["b", "d", "a", "c"], rec, lanes=1, after={"c": ("a",)})  # nothing expected: the given order
    assert [n for kind, n in rec.events if kind == "start"] == ["b", "d", "a", "c"]


def test_previous_timings_read_the_last_record(tmp_path) -> None:
    from predact_utils.book.build import previous_timings, write_timings

    assert previous_timings(tmp_path / "timings.json") == {}
    (tmp_path / "timings.json").write_text("{not json")
    assert previous_timings(tmp_path / "timings.json") == {}
    write_timings(tmp_path / "timings.json", "full", {"02_x": 12.5, "03_y": 3.0}, 20.0, complete=True, lanes=2)
    assert previous_timings(tmp_path / "timings.json") == {"02_x": 12.5, "03_y": 3.0}


def test_a_failure_stops_new_runs_and_is_raised() -> None:
    rec = _Recorder({"a": 0.05, "b": 0.2}, fail="a")
    with pytest.raises(RuntimeError, match="planted failure in a"):
        run_in_lanes(["a", "b", "c", "d"], rec, lanes=2, after={"d": ("*",)})
    assert ("end", "b") in rec.events  # the running one was waited for
    assert ("start", "c") not in rec.events and ("start", "d") not in rec.events


def test_a_dependency_cycle_is_refused() -> None:
    with pytest.raises(BookBuildError, match="waits for itself"):
        run_in_lanes(["a", "b"], _Recorder({}), lanes=2, after={"a": ("b",), "b": ("a",)})


def test_the_book_dependencies_name_real_notebooks() -> None:
    from pathlib import Path

    stems = {p.stem for p in (Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.py")}
    for name, deps in AFTER.items():
        assert name in stems and all(d == "*" or d in stems for d in deps), (name, deps)


def test_lane_threads_and_the_kernel_environment_restore() -> None:
    assert lane_environment(1) == {}
    assert lane_environment(2, cpus=2)["OMP_NUM_THREADS"] == "1"
    assert lane_environment(2, cpus=16)["MKL_NUM_THREADS"] == "8"
    assert lane_environment(3, cpus=2)["NUMBA_NUM_THREADS"] == "1"
    with pytest.raises(BookBuildError, match="at least 1"):
        lane_environment(0)
    key = "PREDACT_TEST_LANE_VAR"
    os.environ.pop(key, None)
    with kernel_environment({key: "x"}):
        assert os.environ[key] == "x"
    assert key not in os.environ


@pytest.mark.slow
def test_a_two_lane_build_runs_every_notebook_with_its_share_of_threads(tmp_path) -> None:
    names = ["01_a", "02_b", "03_c"]
    root = make_book(tmp_path, {
        n: f'# %% [markdown]\n# # Chapter {n}\n\n# %% tags=["parameters"]\nscale = "full"\n\n'
           f'# %%\nimport os, pathlib\npathlib.Path({str(tmp_path)!r}, "{n}.txt").write_text('
           'os.environ.get("OMP_NUM_THREADS", "unset"))\n'
        for n in names})
    res = build_book(root, "--lanes", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    threads = str(max(1, (os.cpu_count() or 1) // 2))
    assert all((tmp_path / f"{n}.txt").read_text() == threads for n in names)
    record = json.loads((root / "_build" / "timings.json").read_text())
    assert record["lanes"] == 2 and list(record["notebooks"]) == names and record["complete"]
