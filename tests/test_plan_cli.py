"""``rollsim plan`` from files: the answer printed, the plan folder, and bad flags."""

from __future__ import annotations

import csv
import io
import json
import shlex
from pathlib import Path

import pytest
from rollsim.cli import main
from rollsim.present.plan_report import load_plan, write_plan_report
from rollsim.present.render import format_duration

from helpers import ROOT, node_list_json, one_error_line, python

MANIFEST = str(Path(__file__).parent.parent / "experiments" / "manifests" / "fluentd-elasticsearch.yaml")


def test_plan_prints_the_answer_and_writes_the_folder(tmp_path, capsys):
    out = tmp_path / "plan"
    code = main(["plan", "--manifest", MANIFEST, "--nodes", "40", "--controller", "ideal", "--window", "30m",
                 "--floor", "90%", "--surge-pods", "3", "--replications", "3", "--workers", "1", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert text.splitlines()[0].endswith(" s on 1 worker (serial))")
    plan, candidates = load_plan(out)
    answer = plan["answer"]
    assert answer["kind"] in ("maxUnavailable", "maxSurge") and answer["worst_availability"] >= 0.9
    assert answer["extra_pods"] <= 3 and f"recommended             {answer['setting']}" in text
    assert answer["patch"] in text
    # what every duration rests on, on the console too (audit 40: only the report said the tail is assumed)
    assert "\n  timings                 the ready time is the default: its straggler tail" in text
    # how it was weighed: shown as fast at 95% confidence, and its family's stall risk, with the numbers
    assert f"  speed                   {answer['pace']['text']}" in text
    assert f"  stall risk              {answer['stall_risk']['text']}" in text
    assert answer["stall_risk"]["text"].startswith(f"{answer['stall_risk']['stalled']} of "
                                                   f"{answer['stall_risk']['runs']} runs over "
                                                   f"{answer['stall_risk']['seeds']} seeds of {answer['kind']}")
    chosen = candidates[candidates["verdict"] == "chosen"]
    assert len(chosen) == 1 and chosen.iloc[0]["setting"] == answer["setting"]
    assert (candidates["verdict"] != "chosen").sum() >= 1  # the runner-ups, each with its reason
    for name in ("report.md", "report.html", "figures/pareto.png", "figures/search.png"):
        assert (out / name).is_file()
    md = (out / "report.md").read_text()
    for part in ("## Answer", "## Constraints", "## Evidence", "Pareto front", answer["patch"].replace("<", "&lt;"),
                 " s wall on 1 worker (serial), ", "| stall risk | ", "| speed | "):
        assert part in md
    from rollsim.present.plan_plots import plot_pareto, plot_search

    search = plot_search(plan, candidates)
    search.get_figure(root=True).draw_without_rendering()
    shown = [t.get_text() for t in search.get_xticklabels() if t.get_text()]
    assert shown and all(t.replace(",", "").isdigit() for t in shown)  # node counts as numbers, not 10¹
    pods = plot_pareto(plan, candidates)[1]
    ticks = pods.get_yticks()
    assert len(ticks) and all(float(v).is_integer() for v in ticks)  # no tick at half a pod
    # the window bound as each look judged it: --replications 3 doubles to 6, 12, 24 and 40, five looks at 99%
    assert (plan["search"]["looks"], plan["search"]["window_level"]) == (5, pytest.approx(0.99))
    # the answer's own bound is distribution-free (59 runs: audit 14, the normal bound was optimistic where
    # stragglers skew the durations), the screen's looks are said as such
    assert answer["replications"] >= 59 and answer["window_bound_kind"].startswith("distribution-free: the ")
    assert (f"{format_duration(answer['window_bound_s'])} ({answer['window_bound_kind']} at 95% confidence: whatever "
            "the durations' shape; the search screened on a normal tolerance bound: 99% at each of its up to 5 "
            "looks)") in md
    assert f"window bound {format_duration(answer['window_bound_s'])} ({answer['window_bound_kind']})" in text
    assert "(each of the up to 5 replication counts the verdict is looked at bounds at 99%, so that together " in md
    assert "is then run 59 times and meets the window only when a distribution-free bound" in md
    row = next(line for line in md.splitlines() if line.startswith(f"| {answer['setting']} |"))
    # its mean over all its runs, which are more than the table's common seeds (its confirmation's 59)
    assert row.endswith(f" | chosen: mean {format_duration(chosen.iloc[0]['duration_mean_s'])} over its "
                        f"{answer['replications']} seeds |")


def test_plan_output_follows_o_and_q_as_the_other_commands_do(tmp_path, capsys):
    argv = ["plan", "--nodes", "20", "--controller", "ideal", "--window", "45m", "--no-surge", "--replications", "2",
            "--workers", "1", "--out-dir", str(tmp_path / "plan")]  # --out-dir as run spells it, or --out
    assert main([*argv, "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)  # the whole plan.json, for jq: .answer.patch
    assert doc == json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert doc["answer"]["patch"].startswith("kubectl patch ds fluentd-elasticsearch ")
    assert main([*argv, "-o", "name"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'plan'}\n"
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main([*argv, "-o", "wide"]) == 0
    wide = capsys.readouterr().out
    _, candidates = load_plan(tmp_path / "plan")
    ruled = [line for line in wide.splitlines() if line.startswith("    max")]
    assert "  ruled out:" in wide and len(ruled) == (candidates["verdict"] != "chosen").sum()  # every one


@pytest.mark.slow  # moved to CI's second lane, which has room (5-11 s each)
def test_a_plan_with_no_setting_that_fits_exits_3_and_writes_everything_as_before(tmp_path, capsys):
    """A plan with no answer exited 0, so `rollsim plan ... && kubectl apply ...` went on with nothing to
    apply. It exits 3 (EXIT_NO_FIT), neither 0 nor a failure's 1 or 2, after writing its folder and its
    output whole; the console, plan.json and the report say the same: no setting fits, and what binds.
    A plan with an answer still exits 0.
    """
    from rollsim.cli.exits import EXIT_FAILED, EXIT_NO_FIT, EXIT_OK, EXIT_USAGE

    assert EXIT_NO_FIT == 3 and EXIT_NO_FIT not in (EXIT_OK, EXIT_FAILED, EXIT_USAGE)
    argv = ["plan", "--nodes", "12", "--controller", "ideal", "--window", "1h", "--no-surge", "--replications", "2",
            "--workers", "1"]  # 12 nodes: one at a time keeps 91.7%, below the default 95% floor
    out = tmp_path / "none"
    assert main([*argv, "--out-dir", str(out), "-q", "-o", "json"]) == EXIT_NO_FIT
    printed = json.loads(capsys.readouterr().out)  # -q -o json: the whole plan.json, as when a setting fits
    assert printed == json.loads((out / "plan.json").read_text())
    assert printed["answer"] is None and printed["binding"] == "availability floor" and printed["relaxations"]
    for name in ("candidates.csv", "report.md", "report.html", "figures/pareto.png", "figures/search.png"):
        assert (out / name).stat().st_size > 0, name
    assert "**No setting meets every constraint.** The binding constraint is the availability floor." in (
        out / "report.md").read_text(encoding="utf-8")
    assert main([*argv, "--out-dir", str(out)]) == EXIT_NO_FIT
    text = capsys.readouterr().out
    assert "  no setting fits; binding constraint: availability floor" in text and "apply with" not in text
    assert main([*argv, "--out-dir", str(out), "-o", "name"]) == EXIT_NO_FIT
    assert capsys.readouterr().out == f"{out}\n"
    answered = tmp_path / "answered"
    assert main([*argv, "--floor", "90%", "--out-dir", str(answered), "-q", "-o", "json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["answer"]["patch"].startswith("kubectl patch ds ")
    # the rollsim program itself, as a shell's && sees it
    done = python("-m", "rollsim", *argv, "--out-dir", str(out), "-q", "-o", "json")
    assert (done.returncode, done.stderr) == (EXIT_NO_FIT, "") and json.loads(done.stdout)["answer"] is None


def test_report_is_rebuilt_from_the_folder_alone(tmp_path):
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "30", "--controller", "ideal", "--window", "1h", "--no-surge",
                 "--replications", "2", "--workers", "1", "--out", str(out)]) == 0
    (out / "report.md").unlink()
    md, html = write_plan_report(out)
    assert md.is_file() and "maxSurge not considered: surge not allowed" in md.read_text()
    assert "<img" in html.read_text()
    (out / "report.md").unlink()
    assert main(["report", str(out)]) == 0 and (out / "report.md").is_file()  # rollsim report knows a plan folder


@pytest.mark.parametrize("argv, flag", [
    (["--floor", "120%"], "--floor"),
    (["--window", "soon"], "--window"),
    (["--window-probability", "1"], "--window-probability"),
    (["--surge-cpu", "lots"], "--surge-cpu"),
    (["--min-ready-seconds", "0,-5"], "--min-ready-seconds"),
    (["--replications", "1"], "--replications"),
    (["--calibrate"], "--calibrate"),
    (["--replications", "10", "--max-replications", "5"], "--max-replications"),
    (["--nodes", "20", "--nodes-file", str(Path(__file__).parent / "data" / "nodes" / "kubectl-get-nodes.json")],
     "--nodes"),
])
def test_bad_flags_are_one_line_exit_2_and_nothing_written(tmp_path, capsys, argv, flag):
    assert main(["plan", "--out", str(tmp_path / "plan"), *argv]) == 2
    one_error_line(capsys, flag)
    assert not (tmp_path / "plan").exists()


def test_a_floor_nothing_can_keep_is_named_as_binding(tmp_path, capsys):
    code = main(["plan", "--nodes", "40", "--controller", "ideal", "--floor", "100%", "--no-surge",
                 "--replications", "2", "--workers", "1", "--out", str(tmp_path / "plan")])
    text = capsys.readouterr().out
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert code == 3 and plan["answer"] is None and plan["binding"] == "availability floor"
    assert "binding constraint: availability floor" in text
    assert "availability floor: lower it to 97.5%" in plan["relaxations"][0]["text"]  # one node of 40 at a time
    # "How it was searched" printed Python's None as the family's top
    report = (tmp_path / "plan" / "report.md").read_text(encoding="utf-8")
    assert "| maxUnavailable, minReadySeconds 0 | — (no count finished with the floor kept) | — |" in report
    assert "None" not in report


def test_a_floor_nothing_keeps_names_the_floor_that_admits_a_setting_within_the_window(tmp_path, capsys):
    """One node at a time misses the window; before, the floor relaxation was tried at that one
    count only and the plan offered nothing, though maxUnavailable 3 (floor 97%) fits.
    """
    code = main(["plan", "--nodes", "100", "--controller", "ideal", "--floor", "100%", "--no-surge",
                 "--window", "45m", "--replications", "2", "--workers", "1", "--out", str(tmp_path / "plan")])
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert code == 3 and plan["answer"] is None and plan["binding"] == "availability floor"
    relaxed = plan["relaxations"][0]["text"]
    assert relaxed.startswith("availability floor: lower it to ") and "→ maxUnavailable " in relaxed
    floor = float(relaxed.split("lower it to ")[1].split("%")[0]) / 100
    out = tmp_path / "relaxed"
    assert main(["plan", "--nodes", "100", "--controller", "ideal", "--floor", f"{floor:.4f}", "--no-surge",
                 "--window", "45m", "--replications", "2", "--workers", "1", "--out", str(out)]) == 0
    assert json.loads((out / "plan.json").read_text())["answer"] is not None  # the relaxed floor admits one
    capsys.readouterr()


@pytest.mark.slow
@pytest.mark.timeout(1800)  # about 4 minutes on a busy 2-core machine, beyond the 600 s default
def test_the_issue_13_question_on_3000_nodes(tmp_path, capsys):
    """fluentd on 3,000 nodes, a 30-minute window and a 95% floor: a few hundred runs, not a grid of 30,000."""
    nodes = tmp_path / "nodes.json"
    assert main(["make-nodes", "3000", "--out-file", str(nodes)]) == 0
    # the default Ready time without its straggler tail: with the tail, durations near the window
    # vary more and the search confirms with more replications (290 runs measured, not 210)
    timings = tmp_path / "timings.yaml"
    timings.write_text('timings:\n  ready: "lognormal(median=20, p95=45)"\n')
    out = tmp_path / "plan"
    # the runs measured below were at root seed 0 (a plan's default before audit 30; now drawn from the
    # inputs, with which this plan ran 348): the search's cost moves with the seeds' luck near the knee
    assert main(["plan", "--manifest", MANIFEST, "--nodes-file", str(nodes), "--window", "30m", "--floor", "95%",
                 "--timings", str(timings), "--workers", "2", "--seed", "0", "--out", str(out)]) == 0
    plan, candidates = load_plan(out)
    assert plan["search"]["tops"]["maxUnavailable, minReadySeconds 0"] == 150  # 5%: the most the floor allows
    # 269 runs measured: near the knee the slowdown sits within tenths of a percent of the 2%
    # tolerance, and showing "as fast" at 95% takes up to 40 replications there (75 runs before);
    # then the answer is run to 59 for its distribution-free window bound (19 more: 250 before),
    # and the manifest's current strategy (maxUnavailable 1) as the baseline, 5 runs (274 in all)
    assert plan["search"]["runs"] <= 275 and plan["search"]["settings_simulated"] <= 21
    answer = plan["answer"]
    assert answer["window_bound_s"] <= 1800 and answer["worst_availability"] >= 0.95
    assert answer["replications"] == 59 and answer["window_bound_kind"] == "distribution-free: the longest of 59 runs"
    assert answer["pace"]["upper_bound"] <= 0.02 and answer["stall_risk"]["stalled"] == 0


@pytest.mark.parametrize("out, needle", [("", "must not be empty"), ("{dir}/file", "is not a folder"),
                                         ("{dir}/a\tb", "control characters")])
def test_the_plan_folder_is_checked_before_any_run(tmp_path, capsys, out, needle):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["plan", "--nodes", "20", "--out", out.replace("{dir}", str(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and needle in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_plan_and_an_experiment_never_share_a_folder(tmp_path, capsys):
    experiment = tmp_path / "exp.yaml"
    experiment.write_text("name: exp\nscenario: {cluster: {nodes: 6}, controller: {mode: ideal}}\nreplications: 1\n",
                          encoding="utf-8")
    results, plan = tmp_path / "results", tmp_path / "plan"
    assert main(["run", str(experiment), "--out", str(results), "--workers", "1", "-q"]) == 0
    report = (results / "report.md").read_text()
    argv = ["plan", "--nodes", "12", "--controller", "ideal", "--window", "1h", "--no-surge", "--replications", "2",
            "--workers", "1", "-q"]
    assert main([*argv, "--out", str(results)]) == 2
    assert "holds the results of experiment 'exp' (1 saved run), not a plan" in capsys.readouterr().err
    assert (results / "report.md").read_text() == report and not (results / "plan.json").exists()
    assert main([*argv, "--out", str(plan)]) == 3  # 12 nodes, one at a time below the 95% floor: none fits
    assert main(["run", str(experiment), "--out", str(plan), "--workers", "1", "-q"]) == 2
    assert "holds a plan (plan.json), not the results of 'exp'" in capsys.readouterr().err
    assert not (plan / "experiment.yaml").exists() and not (plan / "runs").exists()


@pytest.mark.parametrize("damage", ['{"answer":', "{}", "[]", None, "candidates cut", "candidates row short",
                                    "candidates verdict number"])
def test_a_damaged_plan_folder_is_bad_input_and_left_as_it_was(tmp_path, capsys, damage):
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "12", "--controller", "ideal", "--window", "1h", "--no-surge",
                 "--replications", "2", "--workers", "1", "-q", "--out", str(out)]) == 3  # none fits the floor
    assert main(["plot", str(out), "-o", "json"]) == 0  # the figures, as plot lists them for any folder
    assert json.loads(capsys.readouterr().out) == {"figures": [str(out / "figures" / "pareto.png"),
                                                               str(out / "figures" / "search.png")]}
    if damage is None:  # a plan.json with a field of the wrong type
        plan = json.loads((out / "plan.json").read_text())
        plan["answer"] = {"setting": "x", "duration_p50_s": "fast"}
        damage = json.dumps(plan)
    if damage == "candidates cut":
        data = (out / "candidates.csv").read_bytes()
        (out / "candidates.csv").write_bytes(data[: data.index(b"\n") + 30])  # 30 bytes into the first setting
    elif damage == "candidates row short":  # the last row's last fields lost, the line then ended
        rows = list(csv.reader(io.StringIO((out / "candidates.csv").read_text(encoding="utf-8"))))
        rows[-1] = rows[-1][:-3]
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        (out / "candidates.csv").write_text(text.getvalue(), encoding="utf-8")
    elif damage == "candidates verdict number":
        import pandas as pd

        frame = pd.read_csv(out / "candidates.csv")
        frame["worst_availability"] = frame["worst_availability"].astype(object)
        frame.loc[0, "worst_availability"] = "high"
        frame.to_csv(out / "candidates.csv", index=False)
    else:
        (out / "plan.json").write_text(damage, encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for command in ("report", "plot"):
        assert main([command, str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "damaged plan folder" in err and "internal error" not in err
        if damage == "candidates row short":
            assert f"{out / 'candidates.csv'}: damaged plan folder: line {len(rows)} has {len(rows[-1])} of the " in err
        if damage == "candidates verdict number":
            assert "line 2: worst_availability is 'high', not a number" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_daemonset_on_no_node_is_named_without_the_way_out_simulate_has(tmp_path, capsys):
    nodes = tmp_path / "nodes.json"
    assert main(["make-nodes", "4", "--control-plane", "4", "--out-file", str(nodes)]) == 0
    assert main(["plan", "--nodes-file", str(nodes), "--out", str(tmp_path / "plan")]) == 2
    err = capsys.readouterr().err
    assert "argument --nodes-file: the DaemonSet matches no node" in err and "a plan needs nodes" in err
    assert "--allow-no-nodes" not in err and not (tmp_path / "plan").exists()


def test_an_empty_cluster_is_named_without_the_way_out_simulate_has(tmp_path, capsys):
    """simulate offers --allow-no-nodes for a cluster of 0 nodes; plan has no such flag."""
    assert main(["plan", "--nodes", "0", "--floor", "95%", "--window", "1h", "--out", str(tmp_path / "plan")]) == 2
    line = one_error_line(capsys, "argument --nodes: the cluster has no nodes", "a plan needs nodes")
    assert "allow" not in line and not (tmp_path / "plan").exists()
    assert main(["simulate", "--nodes", "0"]) == 2  # simulate keeps its way out
    one_error_line(capsys, "argument --nodes: the cluster has no nodes", "(--allow-no-nodes)")


def test_plan_reads_standard_input_once(tmp_path, capsys):
    assert main(["plan", "--manifest", "-", "--nodes-file", "-", "--out", str(tmp_path / "plan")]) == 2
    assert "arguments --manifest/--nodes-file: only one input can be read from standard input" in \
        capsys.readouterr().err


# an input given as - (its bytes: a byte-order mark and CRLF lines, which a text read would lose), the file
# the plan folder keeps it as, and the plan's other inputs
PIPED = {
    "manifest": ("--manifest", b"\xef\xbb\xbf# piped\r\n" + Path(MANIFEST).read_bytes().replace(b"\n", b"\r\n"),
                 "stdin-manifest.yaml", ["--nodes", "8"]),
    "nodes_file": ("--nodes-file", node_list_json(8).encode(), "stdin-nodes.yaml", ["--manifest", MANIFEST]),
    "timings_file": ("--timings", b"# piped\r\ntimings:\r\n  ready: constant(7)\r\n", "stdin-timings.yaml",
                     ["--manifest", MANIFEST, "--nodes", "8"]),
}


@pytest.mark.parametrize("option", list(PIPED))
def test_a_plan_keeps_its_standard_input_and_repeats_its_runs_from_it(tmp_path, capsys, monkeypatch, option):
    """A manifest, node list or timing profile piped in (-) is kept in the plan folder as read, byte
    for byte, under a name that says which input it was; the reproduce line names it with its flag
    (it said "the same standard input", which is gone once read), and repeats the answer's runs
    from that file, the pipe long gone.
    """
    flag, piped, name, others = PIPED[option]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(piped)))
    out = tmp_path / "plan"
    assert main(["plan", flag, "-", *others, "--controller", "ideal", "--window", "30m", "--replications", "2",
                 "--workers", "1", "-q", "--out", str(out)]) == 0
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))  # nothing more to read
    kept = out / "inputs" / name
    assert sorted(p.name for p in kept.parent.iterdir()) == [name] and kept.read_bytes() == piped
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    answer = plan["answer"]
    assert "standard input" not in answer["reproduce"].split(";")[0]
    # the command itself (audit 33: "with the plan's other inputs and flags" left --nodes 8 out)
    command = shlex.split(answer["reproduce"].split(" repeats its first run")[0])
    assert command[:4] == ["rollsim", "simulate", flag, str(kept)] and command[4:4 + len(others)] == others
    assert answer["reproduce"].endswith(f"; {kept.parent} holds what the plan read from standard input)")
    flags = command[2:command.index("--seed")]
    durations = []
    for seed in answer["seeds"]:
        assert main(["simulate", *flags, "--seed", str(seed), "-o", "json"]) == 0
        durations.append(json.loads(capsys.readouterr().out)["duration_s"])
    assert sum(durations) / len(durations) == pytest.approx(answer["duration_mean_s"], rel=1e-12)


def test_the_reproduce_line_names_the_timings_a_plan_used_once():
    """A timing profile piped in beside --calibrate is kept as read, and the reproduce line gives the
    timings the plan used (the fit with the profile's phases over it), not both to one --timings.
    """
    from rollsim.plan.candidates import UNAVAILABLE, Setting
    from rollsim.plan.document import reproduce_text

    folder = Path("plan/inputs")
    names = ("daemonset.json", "nodes.json", "timings.yaml", "stdin-timings.yaml")
    line = reproduce_text(Setting(UNAVAILABLE, 2, 0), [7], saved=(folder, names), kubernetes_version="1.36")
    assert line.startswith(f"rollsim simulate --manifest {folder / 'daemonset.json'} --nodes-file "
                           f"{folder / 'nodes.json'} --timings {folder / 'timings.yaml'} --kubernetes-version 1.36 ")
    assert line.endswith(f"{folder} holds what the plan read from the cluster and standard input)")
    alone = reproduce_text(Setting(UNAVAILABLE, 2, 0), [7], saved=(folder, ("stdin-timings.yaml",)))
    assert f"--timings {folder / 'stdin-timings.yaml'} with" in alone


def test_a_plan_for_an_on_delete_daemonset_says_its_patch_switches_the_strategy(tmp_path, capsys):
    """The patch sets updateStrategy.type: RollingUpdate. On an OnDelete DaemonSet that starts the
    controller replacing pods when applied, which it used to do without a word; and the
    report showed the OnDelete DaemonSet's unused rollingUpdate budgets as its strategy.
    """
    manifest = tmp_path / "od.yaml"
    manifest.write_text(Path(MANIFEST).read_text(encoding="utf-8").replace("type: RollingUpdate", "type: OnDelete"),
                        encoding="utf-8")
    out = tmp_path / "plan"
    assert main(["plan", "--manifest", str(manifest), "--nodes", "20", "--controller", "ideal", "--window", "5h",
                 "--replications", "3", "--max-replications", "3", "--workers", "1", "--out", str(out)]) == 0
    note = "the DaemonSet uses OnDelete: this patch switches it to RollingUpdate"
    assert f"  note                    {note}" in capsys.readouterr().out
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"**Note:** The{note[3:]}" in report and "| current strategy | OnDelete, minReadySeconds 0 |" in report
    # its reproduce line sets the strategy the patch sets, and repeats the answer's runs (audit 13:
    # without --strategy RollingUpdate, simulate ran OnDelete and ignored the budgets)
    answer = json.loads((out / "plan.json").read_text(encoding="utf-8"))["answer"]
    # (audit 30) the line is the command, the plan's own flags in it: run as it is, with each run's seed
    command = shlex.split(answer["reproduce"].split(" repeats its first run")[0])
    assert command[:2] == ["rollsim", "simulate"] and "--strategy RollingUpdate" in shlex.join(command)
    assert command[command.index("--controller") + 1] == "ideal" and "--kubernetes-version" in command
    flags = command[2:command.index("--seed")]
    durations = []
    for seed in answer["seeds"]:
        assert main(["simulate", *flags, "--seed", str(seed), "-o", "json"]) == 0
        durations.append(json.loads(capsys.readouterr().out)["duration_s"])
    assert sum(durations) / len(durations) == pytest.approx(answer["duration_mean_s"], rel=1e-12)


def test_the_answer_says_when_its_runs_had_more_extra_pods_than_its_max_surge(tmp_path, capsys):
    """The surge budget is judged on maxSurge; the runs may show a few more at once (a sync's
    creates before its deletes): the answer says so instead of "44 pods" alone.
    """
    from rollsim.present.surge_budget import overlap_words

    assert overlap_words(44, 46).startswith(
        "; the runs showed up to 46 at once (a sync's creates can land before its deletes")
    # where they showed none more, that a run can hold more for a moment (audit 30: 21 under maxSurge 20)
    assert overlap_words(44, 44).startswith("; a run can hold a pod or so more for a moment (a sync's creates")
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "30", "--window", "1h", "--replications", "2", "--workers", "1",
                 "--out", str(out), "-q"]) == 0
    answer = json.loads((out / "plan.json").read_text())["answer"]
    assert answer["kind"] == "maxSurge"  # else the comparison below holds of any count
    assert answer["extra_pods_observed"] >= answer["extra_pods"]
    assert overlap_words(answer["extra_pods"], answer["extra_pods_observed"]).startswith(
        "; a run can hold" if answer["extra_pods_observed"] == answer["extra_pods"] else "; the runs showed up to")


def test_nodes_all_not_ready_are_named_without_the_way_out_simulate_has(tmp_path, capsys):
    """A node list whose nodes are all NotReady: nothing to plan, and no --allow-no-nodes to offer."""
    nodes = tmp_path / "nodes.json"
    assert main(["make-nodes", "4", "--control-plane", "0", "--not-ready", "4", "--out-file", str(nodes)]) == 0
    capsys.readouterr()
    assert main(["plan", "--nodes-file", str(nodes), "--out", str(tmp_path / "plan")]) == 2
    line = one_error_line(capsys, "argument --nodes-file: all 4 nodes that hold the DaemonSet's old pod are NotReady",
                          "a plan needs Ready nodes")
    assert "allow" not in line and not (tmp_path / "plan").exists()


def test_plan_help_explains_every_flag_and_spells_the_folder_flag_as_run_does(capsys):
    """--seed and --executor had no help text, and the folder flag read `--out DIR, --out-dir DIR`
    where run's reads `--out-dir DIR, --out DIR` (--out is the old spelling).
    """
    helps = {}
    for command in ("plan", "run"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        helps[command] = capsys.readouterr().out
    options = helps["plan"].split("\noptions:", 1)[1].splitlines()
    # a flag line with nothing after its names and no indented help line below it has no help
    bare = [line.strip() for line, below in zip(options, [*options[1:], ""])
            if line.startswith("  -") and "  " not in line.strip() and not below.startswith(" " * 10)]
    assert bare == []
    assert "default one drawn from the inputs, so the same inputs always run the same seeds" in " ".join(
        helps["plan"].split())
    for command in ("plan", "run"):
        assert "--out-dir DIR, --out DIR" in helps[command] and "[--out-dir DIR]" in helps[command]
    # its exit codes, 3 the one no other command has: no setting fits
    assert "Exit codes: 0 a setting fits (its patch is printed); 3 no setting fits: the plan's report and files " \
           "are written as before" in " ".join(helps["plan"].split())


def test_a_plan_on_a_node_list_takes_the_other_pods_share_and_says_what_it_assumed(tmp_path, capsys):
    """Audit 7: plan had no --node-utilization, so on a node list every node was empty and it recommended
    a surge that never schedules on packed nodes; its report did not say so."""
    nodes = tmp_path / "nodes.json"
    assert main(["make-nodes", "40", "--out-file", str(nodes), "-q"]) == 0
    common = ["plan", "--manifest", MANIFEST, "--nodes-file", str(nodes), "--window", "3h", "--controller", "ideal",
              "--replications", "2", "--max-replications", "2", "--workers", "1"]
    assert main([*common, "--out", str(tmp_path / "empty")]) == 0
    empty = json.loads((tmp_path / "empty" / "plan.json").read_text())
    assert empty["answer"]["kind"] == "maxSurge" and empty["cluster"]["other_pods"].startswith("none assumed")
    assert "| other pods on the nodes | none assumed (--node-utilization 0)" in \
        (tmp_path / "empty" / "report.md").read_text(encoding="utf-8")
    assert main([*common, "--node-utilization", "0.93", "--out", str(tmp_path / "packed")]) == 0
    packed = json.loads((tmp_path / "packed" / "plan.json").read_text())
    assert packed["answer"]["kind"] == "maxUnavailable"  # a surge pod fits beside the old one nowhere
    assert packed["cluster"]["other_pods"].startswith("93% of each node's allocatable")
    capsys.readouterr()


def test_tolerated_not_ready_nodes_are_the_binding_constraint_not_the_window(tmp_path, capsys):
    """Audit 7: with 3 NotReady nodes the DaemonSet tolerates no setting finishes, and the plan told the user
    to widen the window."""
    nodes, manifest = tmp_path / "nodes.json", tmp_path / "ds.yaml"
    assert main(["make-nodes", "30", "--not-ready", "2", "--out-file", str(nodes), "-q"]) == 0
    manifest.write_text(Path(MANIFEST).read_text().replace(
        "      - key: node-role.kubernetes.io/control-plane\n", "      - operator: Exists\n      - key: node-role."
        "kubernetes.io/control-plane\n"))
    out = tmp_path / "plan"
    assert main(["plan", "--manifest", str(manifest), "--nodes-file", str(nodes), "--window", "15m",
                 "--controller", "ideal", "--replications", "2", "--max-replications", "2", "--workers", "1",
                 "--out", str(out)]) == 3
    doc = json.loads((out / "plan.json").read_text())
    assert doc["answer"] is None and doc["binding"] == "NotReady nodes" and doc["cluster"]["not_ready"] == 2
    assert "binding constraint: NotReady nodes" in capsys.readouterr().out
    assert "2 NotReady nodes among them" in (out / "report.md").read_text(encoding="utf-8")


def test_n_gives_a_manifest_without_a_namespace_the_namespace_of_its_patch(tmp_path, capsys):
    """helm template's output has no metadata.namespace: -n gives it (kubectl apply -n NS -f), and
    the patch line, plan.json and the report all say that namespace; without -n the patch line's
    ``-n default`` is said to be rollsim's choice, not the manifest's.
    """
    manifest = tmp_path / "helm.yaml"
    manifest.write_text(Path(MANIFEST).read_text().replace("  namespace: kube-system\n", ""))
    flags = ["--manifest", str(manifest), "--nodes", "10", "--controller", "ideal", "--window", "30m",
             "--replications", "2", "--max-replications", "2", "--workers", "1"]
    assert main(["plan", *flags, "-n", "logging", "--out", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    plan, _ = load_plan(tmp_path / "a")
    assert plan["daemonset"]["namespace"] == "logging"
    assert plan["answer"]["patch"].startswith("kubectl patch ds fluentd-elasticsearch -n logging -p ")
    assert "rollsim plan: logging/fluentd-elasticsearch" in captured.out
    assert "| DaemonSet | logging/fluentd-elasticsearch |" in (tmp_path / "a" / "report.md").read_text()
    assert main(["plan", *flags, "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert ("rollsim: warning: the manifest's DaemonSet fluentd-elasticsearch has no metadata.namespace and no "
            "-n/--namespace was given: it is taken to be in namespace default, which the patch line names") in err
    assert load_plan(tmp_path / "b")[0]["answer"]["patch"].startswith("kubectl patch ds fluentd-elasticsearch -n "
                                                                      "default -p ")
    # the manifest's own namespace against -n: refused as kubectl refuses it, nothing written
    assert main(["plan", *flags[:1], MANIFEST, *flags[2:], "-n", "logging", "--out", str(tmp_path / "c")]) == 2
    one_error_line(capsys, "metadata.namespace: the namespace from the provided object 'kube-system' does not "
                           "match the namespace 'logging'")
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("blocked", ["a file named results", "a working folder not writable"])
def test_the_default_plan_folder_is_checked_as_out_dir_is(tmp_path, capsys, monkeypatch, blocked):
    """Without --out-dir, results/plan-<daemonset> is checked before any run as a given folder is:
    exit 2 naming it as the default and the flag that moves it (was exit 1 and the raw OS error
    ``results/plan-fluentd-elasticsearch: Not a directory``, audit 17).
    """
    monkeypatch.chdir(tmp_path)
    if blocked == "a file named results":
        (tmp_path / "results").write_text("x", encoding="utf-8")
        rule = "'results' is not a folder, so 'results/plan-fluentd-elasticsearch' cannot be made"
    else:  # as a user who may not write there (the suite may run as root, whom the system lets write)
        import rollsim.io.outputs

        monkeypatch.setattr(rollsim.io.outputs.os, "access", lambda path, mode: False)
        rule = "folder '.' is not writable"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["plan", "--nodes", "10", "--workers", "1", "-q", "--manifest", MANIFEST]) == 2
    one_error_line(capsys, f"rollsim: error: the default plan folder results/plan-fluentd-elasticsearch: {rule}; "
                           "choose another with --out-dir")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_with_a_window_and_least_the_answer_names_the_least_that_fits(tmp_path, capsys):
    """30 nodes, a 30-minute window: the answer is the fastest, maxSurge 29; with --least the least that
    fits is a far smaller surge, confirmed on 59 runs, and the answer is the same; without it, the
    answer says how to ask for it.
    """
    assert main(["plan", "--nodes", "30", "--window", "30m", "--least", "--out-dir", str(tmp_path / "a"), "-q",
                 "-o", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    answer, least = plan["answer"], plan["answer"]["least"]
    assert least["kind"] == answer["kind"] == "maxSurge" and least["count"] < answer["count"]
    assert least["replications"] >= 59 and least["window_bound_s"] <= 1800
    assert least["text"].startswith(least["setting"] + ": window bound ")
    assert "| least that fits |" in (tmp_path / "a" / "report.md").read_text()
    assert main(["plan", "--nodes", "30", "--window", "30m", "--out-dir", str(tmp_path / "b"), "-q", "-o", "json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["answer"]["least"] is None and plain["search"]["least"] is False
    assert plain["answer"]["least_note"].startswith("not looked for: --least finds")
    assert plain["search"]["runs"] < plan["search"]["runs"]
    assert plain["answer"]["setting"] == answer["setting"]


def test_a_priority_class_the_plan_cannot_resolve_is_warned_of_and_kept(tmp_path, capsys):
    """Audit 27: simulate warned that a custom priorityClassName without spec.priority is taken as 0 (its
    pods never preempt), and pointed at --priority; plan said nothing, kept nothing in plan.json, and had
    no --priority. It warns, keeps the warning, and takes --priority, which answers it."""
    from rollsim.cli import main

    manifest = tmp_path / "ds.yaml"
    text = (ROOT / "experiments" / "manifests" / "fluentd-elasticsearch.yaml").read_text()
    manifest.write_text(text.replace("      # priorityClassName: important", "      priorityClassName: important"))
    out = tmp_path / "p"
    assert main(["plan", "--manifest", str(manifest), "--nodes", "10", "--workers", "1", "--out-dir", str(out)]) == 0
    err = capsys.readouterr().err
    assert "argument --manifest: the pod template's priorityClassName important is not a built-in class" in err
    assert any("priorityClassName important" in w for w in json.loads((out / "plan.json").read_text())["warnings"])
    assert main(["plan", "--manifest", str(manifest), "--nodes", "10", "--workers", "1", "--priority", "1000",
                 "--out-dir", str(out), "-q"]) == 0
    assert "priorityClassName" not in capsys.readouterr().err
    assert json.loads((out / "plan.json").read_text())["scenario"]["priority"] == 1000


def test_the_reproduce_line_gives_the_version_the_plan_simulated(tmp_path, capsys):
    """Audit 30: a plan given --kubernetes-version 1.36 over a node list of v1.33 kubelets wrote a
    reproduce line without the flag, and simulate, taking 1.33 from the node list, ran another run
    (1319.708 s against 1319.672 s). The line gives the version the plan simulated, and the plan's own
    input flags: run as it is, it repeats the plan's first run.
    """
    nodes = tmp_path / "nodes.json"
    assert main(["make-nodes", "12", "--kubernetes-version", "1.33", "--out-file", str(nodes), "-q"]) == 0
    out = tmp_path / "plan"
    assert main(["plan", "--manifest", MANIFEST, "--nodes-file", str(nodes), "--kubernetes-version", "1.36",
                 "--window", "2h", "--floor", "90%", "--replications", "2", "--max-replications", "2", "--workers", "1",
                 "--no-surge", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    answer = json.loads((out / "plan.json").read_text(encoding="utf-8"))["answer"]
    command = shlex.split(answer["reproduce"].split(" repeats its first run")[0])
    assert command[:4] == ["rollsim", "simulate", "--manifest", MANIFEST]
    assert command[command.index("--kubernetes-version") + 1] == "1.36"
    assert main([*command[1:], "-o", "json"]) == 0
    run = json.loads(capsys.readouterr().out)
    kept = {row["key"].split("/", 1)[1]: row["summary"] for row in map(json.loads, (out / "runs.jsonl").open())}
    first = f"{answer['kind']}/{answer['count']}/{float(answer['min_ready_seconds'])!r}/{answer['seeds'][0]}"
    assert kept[first]["duration_s"] == run["duration_s"]


@pytest.mark.parametrize(("flag", "value", "said"), [
    ("--window", "30", "argument --window: needs a unit, as kubectl's --timeout does: 30s, 30m or 30h (got '30')"),
    ("--window", "1.5", "argument --window: needs a unit"),
    ("--floor", "0.95%", "argument --floor: a floor of 0.95% is almost none: write the share as a percent (95%) or "
                         "a fraction (0.95), not both"),
    ("--window-probability", "0.95%", "argument --window-probability: a probability of 0.95% is almost none"),
    ("--confidence", "0.95%", "argument --confidence: a probability of 0.95% is almost none"),
    # audit 34: taken without a word
    ("--confidence", "0.3", "argument --confidence: must be at least 0.5 (50%): a verdict at a lower confidence is "
                            "more likely wrong than right, got '0.3'"),
    ("--min-ready-seconds", "0,10,0", "argument --min-ready-seconds: 0 is given twice; give each value once"),
])
def test_a_window_without_its_unit_and_a_fraction_written_as_a_percent_are_refused(tmp_path, capsys, flag, value,
                                                                                  said):
    """Audit 30: ``--window 30`` planned for 30 seconds, ``--floor 0.95%`` for a floor of 0.95%; audit 32:
    a window probability and a confidence of 0.95% ran 5 seeds where 59 confirm a p95.
    """
    out = tmp_path / "plan"
    assert main(["plan", "--nodes", "10", flag, value, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and not out.exists()


def test_a_window_probability_that_bounds_nothing_is_said_to(tmp_path, capsys):
    """Without --window, --window-probability bounds stalls, which only maxSurge with minReadySeconds
    has: a host port leaves maxSurge out, and the plan says the flag changes nothing (audit 30).
    """
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(Path(MANIFEST).read_text(encoding="utf-8").replace(
        "        image:", "        ports:\n        - containerPort: 9100\n          hostPort: 9100\n        image:", 1),
        encoding="utf-8")
    out = tmp_path / "plan"
    main(["plan", "--manifest", str(manifest), "--nodes", "10", "--window-probability", "90%", "--replications",
          "2", "--max-replications", "2", "--workers", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert "argument --window-probability: without --window it bounds the rollouts that stall, and maxSurge is not " \
           "considered (" in err and "it changes nothing here" in err
    assert any("changes nothing here" in w for w in json.loads((out / "plan.json").read_text())["warnings"])
