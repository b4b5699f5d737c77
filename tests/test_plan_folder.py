"""An interrupted ``rollsim plan`` never leaves files of two plans in its folder, and its line says
what it left: a plan stopped after plan.json and before its report left that new plan.json beside
the earlier plan's report and figures (another setting, for another cluster), and said all was well.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path

import pytest
from rollsim.cli import main
from rollsim.plan.files import write_plan_folder
from rollsim.plan.store import RUNS_FILE
from rollsim.present.plan_report import load_plan
from rollsim.sweep.errors import Interrupted
from rollsim.sweep.folder import LOCK

from helpers import one_error_line

PLAN_ARGS = ["--controller", "ideal", "--window", "30m", "--replications", "2", "--workers", "1", "-q"]
SAVED = ["candidates.csv", "plan.json"]
ALL = sorted([*SAVED, "figures/pareto.png", "figures/search.png", "report.html", "report.md"])
# what a plan keeps of a cluster it read (rollsim.plan.files.INPUT_FILES), as stand-ins
INPUTS = {"daemonset.json": "{}\n", "nodes.json": "{}\n", "timings.yaml": "timings: {}\n"}
# ... and of standard input, byte for byte (STDIN_INPUTS: one a plan, but the folder's rules hold for each)
PIPED = {"stdin-manifest.yaml": b"\xef\xbb\xbfkind: DaemonSet\r\n", "stdin-nodes.yaml": b"{}",
         "stdin-timings.yaml": b"timings: {}\r\n"}


def plan_into(out: Path, nodes: int) -> int:
    return main(["plan", "--nodes", str(nodes), *PLAN_ARGS, "--out-dir", str(out)])


def contents(folder: Path) -> dict[str, bytes]:
    """The plan's files in ``folder`` (not the lock the plan holds while it runs, nor the runs its plans
    kept, ``runs.jsonl``, which a plan adds to and never removes: ``rollsim.plan.store``).
    """
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in (LOCK, RUNS_FILE)}


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple[Path, Path]:
    """Two whole plans of different clusters: the earlier (8 nodes) and the new one (20 nodes)."""
    root = tmp_path_factory.mktemp("plans")
    assert plan_into(root / "earlier", 8) == 0 and plan_into(root / "new", 20) == 0
    return root / "earlier", root / "new"


def folder(tmp_path: Path, plans: tuple[Path, Path], held: bool) -> Path:
    """The folder to plan into: a copy of the earlier plan, or none yet."""
    out = tmp_path / "plan"
    if held:
        shutil.copytree(plans[0], out)
    return out


def nodes_of(out: Path) -> int:
    return json.loads((out / "plan.json").read_text())["cluster"]["nodes"]


@pytest.mark.parametrize("held", [True, False], ids=["earlier-plan", "new-folder"])
def test_a_plan_stopped_before_its_report_leaves_its_plan_alone(tmp_path, plans, monkeypatch, capsys, held) -> None:
    """Stopped as report.md is written (the figures are): the new plan.json and candidates.csv,
    no figure or report of either plan, and a line that says so and how to write them.
    """
    import rollsim.present.plan_report

    out = folder(tmp_path, plans, held)

    def stop(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(rollsim.present.plan_report, "write_text", stop)
    assert plan_into(out, 20) == 130
    one_error_line(capsys, f"rollsim: interrupted before the plan's report was written: the plan is saved in {out} "
                           f"(plan.json, candidates.csv), without figures or report; rollsim report {out} writes them")
    assert sorted(contents(out)) == SAVED and not (out / "figures").exists()
    assert nodes_of(out) == 20
    monkeypatch.undo()
    assert main(["report", str(out), "-q"]) == 0  # as the line says
    assert sorted(contents(out)) == ALL
    assert "| nodes | 20 of 20 should run the pod |" in (out / "report.md").read_text()


@pytest.mark.parametrize("held", [True, False], ids=["earlier-plan", "new-folder"])
def test_a_plan_stopped_before_plan_json_leaves_no_plan(tmp_path, plans, monkeypatch, capsys, held) -> None:
    """Stopped as plan.json is written (candidates.csv is): no file of either plan is left, but the
    runs kept (``runs.jsonl``), which the plan run again reuses.
    """
    plan_files = importlib.import_module("rollsim.plan.files")  # rollsim.plan is the function once imported

    out = folder(tmp_path, plans, held)

    def stop(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(plan_files, "write_json", stop)
    assert plan_into(out, 20) == 130
    earlier = " (the earlier plan there was removed first, not to leave it beside the new one)" if held else ""
    one_error_line(capsys, f"rollsim: interrupted before the plan was saved; {out} holds no plan{earlier}; "
                           "run the plan again (its runs are kept in runs.jsonl, and reused)")
    assert [p.name for p in out.iterdir()] == [RUNS_FILE]  # the runs this plan and the earlier kept


def test_at_no_instant_does_the_folder_hold_two_plans(tmp_path, plans, monkeypatch) -> None:
    """After each file the plan removes or writes, every file in the folder is the earlier plan's
    or every one is the new plan's: an interrupt at any instant leaves one plan's files.
    """
    out = folder(tmp_path, plans, True)
    earlier = contents(out)
    seen: list[dict[str, bytes]] = []
    replace, unlink = os.replace, Path.unlink

    def replacing(*args: object, **kwargs: object) -> None:
        replace(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(contents(out))

    def unlinking(self: Path, *args: object, **kwargs: object) -> None:
        unlink(self, *args, **kwargs)  # type: ignore[arg-type]
        seen.append(contents(out))

    monkeypatch.setattr(os, "replace", replacing)
    monkeypatch.setattr(Path, "unlink", unlinking)
    assert plan_into(out, 20) == 0
    monkeypatch.undo()
    new = contents(out)
    assert sorted(new) == ALL and all(new[name] != earlier[name] for name in ALL)  # two plans, file by file
    for held in seen:
        whose = {"earlier" if earlier.get(n) == b else "new" if new.get(n) == b else n for n, b in held.items()}
        assert len(whose) <= 1 and whose <= {"earlier", "new"}, sorted(held)
    assert len(seen) >= 2 * len(ALL)  # each earlier file removed, each new one written


def interrupted_at(step: int, out: Path, plan: Path, monkeypatch,
                   inputs: dict[str, str | bytes] | None = None) -> str | None:
    """Write the plan at ``plan`` into ``out``, Ctrl-C as the ``step``-th file is removed or written
    (once: the cleanup after it removes files too); the line it raised, or None if it finished.
    """
    document, candidates = load_plan(plan)
    replace, unlink = os.replace, Path.unlink
    count = [0]

    def counted(real, *args: object, **kwargs: object) -> None:
        count[0] += 1
        if count[0] == step:
            raise KeyboardInterrupt
        real(*args, **kwargs)

    monkeypatch.setattr(os, "replace", lambda *a, **k: counted(replace, *a, **k))
    monkeypatch.setattr(Path, "unlink", lambda self, *a, **k: counted(unlink, self, *a, **k))
    try:
        write_plan_folder(out, document, candidates, inputs=inputs)
    except Interrupted as exc:
        return str(exc)
    finally:
        monkeypatch.undo()
    return None


@pytest.mark.parametrize("inputs", [None, INPUTS, PIPED, {**INPUTS, **PIPED}],
                         ids=["from-files", "from-a-cluster", "from-standard-input", "from-both"])
def test_an_interrupt_at_each_step_leaves_what_its_line_says(tmp_path, plans, monkeypatch, inputs) -> None:
    """Ctrl-C as each file of the plan is removed or written: the folder holds no plan (before
    plan.json is saved) or the new plan without figures or report (after), as the line says; a
    plan of a cluster's inputs or of standard input keeps them beside plan.json (they are part of the plan).
    """
    saved = sorted([*SAVED, *(f"inputs/{name}" for name in inputs or ())])
    said = set()
    step = 0
    while True:
        step += 1
        out = folder(tmp_path / str(step), plans, True)
        line = interrupted_at(step, out, plans[1], monkeypatch, inputs)
        if line is None:
            break
        held = contents(out)
        if "holds no plan" in line:
            assert held == {}, (step, sorted(held))
        else:
            assert "rollsim report" in line and sorted(held) == saved, (step, sorted(held))
            assert nodes_of(out) == 20
        said.add(line.split(";")[0].split(":")[0])
    assert step > (len(ALL) + len(inputs or ())) * 2  # every removal and every write was interrupted once
    assert said == {"interrupted before the plan was saved", "interrupted before the plan's report was written"}


def test_a_plan_over_one_of_a_cluster_leaves_none_of_its_inputs(tmp_path, plans) -> None:
    """The inputs a plan kept of a cluster are its files: the next plan into the folder, of other
    inputs, removes them with the rest (and ``inputs/``), never leaving them beside its plan.json.
    """
    out = tmp_path / "plan"
    document, candidates = load_plan(plans[1])
    write_plan_folder(out, document, candidates, report=False, inputs=INPUTS)
    assert sorted(contents(out)) == sorted([*SAVED, *(f"inputs/{name}" for name in INPUTS)])
    assert (out / "inputs" / "nodes.json").read_text() == INPUTS["nodes.json"]
    write_plan_folder(out, document, candidates, report=False)
    assert sorted(contents(out)) == SAVED and not (out / "inputs").exists()


def test_a_plan_keeps_standard_input_as_read_and_the_next_plan_removes_it(tmp_path, plans) -> None:
    """What a plan read from standard input is kept byte for byte (a byte-order mark, CRLF lines), each
    under its own name beside a cluster's (a piped timing profile is not the calibrated timings.yaml),
    and a plan of other inputs into the folder removes it with the rest.
    """
    from rollsim.plan.files import INPUT_FILES, STDIN_INPUTS

    assert len(set(INPUT_FILES)) == len(INPUT_FILES) and set(STDIN_INPUTS.values()) == set(PIPED)
    out = tmp_path / "plan"
    document, candidates = load_plan(plans[1])
    write_plan_folder(out, document, candidates, report=False, inputs={**INPUTS, **PIPED})
    held = contents(out)
    assert sorted(held) == sorted([*SAVED, *(f"inputs/{name}" for name in [*INPUTS, *PIPED])])
    assert all(held[f"inputs/{name}"] == data for name, data in PIPED.items())
    assert held["inputs/timings.yaml"] == INPUTS["timings.yaml"].encode()
    write_plan_folder(out, document, candidates, report=False, inputs={"stdin-nodes.yaml": b"{}"})
    assert sorted(contents(out)) == sorted([*SAVED, "inputs/stdin-nodes.yaml"])
    write_plan_folder(out, document, candidates, report=False)
    assert sorted(contents(out)) == SAVED and not (out / "inputs").exists()


@pytest.mark.parametrize("theirs", [{"report.md": "MY PRECIOUS NOTES\n", "plan.json": '{"mine": true}\n'},
                                    {"summary.csv": "x\n"}, {"candidates.csv": "a,b\n1,2\n"},
                                    {"figures": None, "figures/pareto.png": "mine"}],
                         ids=["a-report-and-plan-json", "a-summary", "a-candidates-csv", "a-figure"])
def test_a_folder_of_the_users_own_files_is_refused_and_left_as_it_was(tmp_path, capsys, theirs) -> None:
    """A folder that holds no rollsim plan (files of the user's, some named as a plan's) is refused
    before any run, exit 2, naming it and what it holds, as ``rollsim run`` refuses it: the plan
    wrote its report.md and plan.json over the user's, exit 0 (audit 17).
    """
    out = tmp_path / "mine"
    out.mkdir()
    for name, text in theirs.items():
        (out / name).mkdir() if text is None else (out / name).write_text(text, encoding="utf-8")
    before = contents(out)
    assert plan_into(out, 8) == 2
    top = sorted({name.split("/")[0] for name in theirs})
    why = "its plan.json is not one rollsim wrote" if "plan.json" in theirs else "it holds no rollsim plan"
    one_error_line(capsys, f"rollsim: error: {out} is not empty ({', '.join(top)}) and {why}: ", "--out-dir")
    assert contents(out) == before and sorted(p.name for p in out.iterdir()) == top  # no lock file left either


def test_a_folder_written_into_before_the_lock_is_taken_is_refused_under_it(tmp_path, monkeypatch, capsys) -> None:
    """The folder is checked again once the plan holds its lock: a user's file that lands between the
    first check and the lock (another process, not rollsim: rollsim's own would be holding the lock)
    was written over, since only the first check saw the folder.
    """
    import rollsim.plan.run as plan_run

    out = tmp_path / "plan"
    checked = plan_run.check_plan_owned
    calls = []

    def then_theirs_arrives(folder: Path) -> None:
        checked(folder)
        calls.append(folder)
        if len(calls) == 1:  # between the first check and the lock
            folder.mkdir()
            (folder / "report.md").write_text("MY PRECIOUS NOTES\n", encoding="utf-8")

    monkeypatch.setattr(plan_run, "check_plan_owned", then_theirs_arrives)
    assert plan_into(out, 8) == 2
    one_error_line(capsys, f"rollsim: error: {out} is not empty (report.md) and it holds no rollsim plan: ")
    assert len(calls) == 1  # the second check refused the folder before it returned
    assert contents(out) == {"report.md": b"MY PRECIOUS NOTES\n"} and [p.name for p in out.iterdir()] == ["report.md"]


def _killed(plan: Path, out: Path, keep: int) -> Path:
    """``out`` as a plan killed (SIGKILL: no cleanup) as it removed the files of the plan at ``plan``
    (``rollsim.plan.files._forget``, last written first), after all but its first ``keep`` had gone.
    """
    from rollsim.plan.files import plan_files

    shutil.copytree(plan, out)
    for path in reversed(plan_files(out)[keep:]):
        path.unlink(missing_ok=True)
    return out


def test_a_folder_that_holds_a_plan_or_what_a_killed_plan_left_is_taken(tmp_path, plans) -> None:
    """What a plan killed at any step leaves (the plan's first files, its empty figures/ or inputs/,
    a temporary file, the lock) is a plan's folder still, and so is a whole plan beside a file of the
    user's (it stays); a report.md beside a killed plan's candidates.csv is the user's (a plan writes
    it only after plan.json).
    """
    from rollsim.plan.files import check_plan_owned, plan_files
    from rollsim.sweep.results import ResultsError

    for keep in range(len(plan_files(tmp_path)) + 1):
        out = _killed(plans[0], tmp_path / f"killed{keep}", keep)
        (out / "figures").mkdir(exist_ok=True)
        (out / ".candidates.csv.k3yq.tmp").write_text("cut", encoding="utf-8")
        (out / LOCK).write_text("", encoding="utf-8")
        check_plan_owned(out)
    out = _killed(plans[0], tmp_path / "noted", len(plan_files(tmp_path)))
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    check_plan_owned(out)
    out = _killed(plans[0], tmp_path / "reported", 1)  # candidates.csv
    (out / "report.md").write_text("mine", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"is not empty \(report.md\) and it holds no rollsim plan"):
        check_plan_owned(out)


def test_a_plan_replaces_one_a_killed_plan_left(tmp_path, plans, capsys) -> None:
    """The folder of a plan killed before its plan.json (its candidates.csv alone) is planned into."""
    out = _killed(plans[0], tmp_path / "plan", 1)
    assert plan_into(out, 20) == 0
    assert sorted(contents(out)) == ALL and nodes_of(out) == 20


def test_a_plan_removes_what_killed_writes_left(tmp_path, plans) -> None:
    """SIGKILL while a plan's file was written left its hidden temporary (``.report.html.XXXX.tmp``,
    209 KB in audit 26), which no later plan or report removed. The next plan removes those of the
    files a plan writes, at the top, in figures/ and in inputs/; a file of the user's stays.
    """
    out = folder(tmp_path, plans, held=True)
    (out / "inputs").mkdir()
    debris = [out / ".report.html.dj8p1fdh.tmp", out / ".candidates.csv.k3yq.tmp", out / ".plan.json.a1.tmp",
              out / "figures" / ".search.png.q9.tmp", out / "inputs" / ".nodes.json.x7.tmp"]
    mine = [out / ".notes.txt.keep.tmp", out / "figures" / ".mine.png.x.tmp", out / "inputs" / "mine.json",
            out / ".report.html.tmp"]
    for path in (*debris, *mine):
        path.write_text("x", encoding="utf-8")
    assert plan_into(out, 20) == 0
    assert not [p for p in debris if p.exists()] and all(p.exists() for p in mine)
    assert nodes_of(out) == 20
