"""The orchestrator with local processes as nodes: order, failures, retries, timeouts,
stop/resume, and logs. Commands are real `sh` processes; nothing is mocked."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from enginekit import make_kit

from fueltui.core.nodeconfig import NetworkScheme, Peer
from fueltui.master.deploy.runners import LocalRunner
from polling import async_wait_until

LAB = [
    ("ctl-1", ["primary-controller"]),
    ("cmp-1", ["compute"]),
    ("cmp-2", ["compute"]),
    ("cmp-3", ["compute"]),
]

# Each task appends "start/end <node> <task>" to a shared journal: the order of events
# shows which tasks overlapped.
JOURNAL_TASKS = """
- {id: a, type: shell, roles: ["*"], requires: [start],
   parameters: {cmd: 'j=$SHARED/journal; echo "start $NODE a" >>$j; sleep 0.2; echo "end $NODE a" >>$j'}}
- {id: b, type: shell, roles: ["*"], requires: [a], required_for: [end],
   parameters: {cmd: 'echo "start $NODE b" >> "$SHARED/journal"; echo "end $NODE b" >> "$SHARED/journal"'}}
"""


def journal(tmp: Path) -> list[str]:
    return (tmp / "journal").read_text().splitlines()


def max_overlap(events: list[str]) -> int:
    running, peak = set(), 0
    for event in events:
        kind, node, _task = event.split()
        if kind == "start":
            running.add(node)
            peak = max(peak, len(running))
        else:
            running.discard(node)
    return peak


async def test_groups_run_in_order_with_their_strategy(tmp_path: Path) -> None:
    kit = make_kit(tmp_path, JOURNAL_TASKS, LAB)
    result = await kit.orchestrator().run()
    assert result["ready"] is True
    events = journal(tmp_path)
    controller_last = max(i for i, e in enumerate(events) if "ctl-1" in e)
    compute_first = min(i for i, e in enumerate(events) if "cmp-" in e)
    assert controller_last < compute_first  # computes wait for the controller group
    compute_events = [e for e in events if "cmp-" in e]
    assert max_overlap(compute_events) == 2  # parallel, amount 2
    for name in ("cmp-1", "cmp-2", "cmp-3"):
        mine = [e for e in events if f" {name} " in e]
        assert mine == [f"start {name} a", f"end {name} a", f"start {name} b", f"end {name} b"]
        assert kit.status(name) == "ready"
    assert kit.recorder.progress_values[-1] == 100


async def test_failed_compute_is_error_others_ready_and_dependents_do_not_run(tmp_path: Path) -> None:
    tasks = """
- {id: a, type: shell, roles: ["*"], requires: [start],
   parameters: {cmd: 'if [ "$NODE" = cmp-2 ]; then echo broken >&2; exit 3; fi; echo fine'}}
- {id: b, type: shell, roles: ["*"], requires: [a], parameters: {cmd: 'touch "$ROOT/b-ran"'}}
"""
    kit = make_kit(tmp_path, tasks, LAB)
    result = await kit.orchestrator().run()
    assert kit.status("cmp-2") == "error"
    assert kit.status("ctl-1") == kit.status("cmp-1") == kit.status("cmp-3") == "ready"
    assert not (tmp_path / "cmp-2" / "b-ran").exists()
    assert (tmp_path / "cmp-1" / "b-ran").exists()
    nodes = result["nodes"]
    assert isinstance(nodes, dict)
    failed = next(v for v in nodes.values() if v["name"] == "cmp-2")
    assert failed["failed_task"] == "a" and "exited with status 3" in failed["message"]
    assert "broken" in kit.log("cmp-2")
    assert result["ready"] is False


async def test_failed_controller_halts_the_rest(tmp_path: Path) -> None:
    tasks = """
- {id: a, type: shell, roles: ["*"], requires: [start],
   parameters: {cmd: 'touch "$ROOT/a-ran"; [ "$NODE" != ctl-1 ]'}}
"""
    kit = make_kit(tmp_path, tasks, LAB)
    result = await kit.orchestrator().run()
    assert kit.status("ctl-1") == "error"
    for name in ("cmp-1", "cmp-2", "cmp-3"):
        assert kit.status(name) == "stopped"
        assert not (tmp_path / name / "a-ran").exists()
    assert "controller ctl-1 failed" in str(result["halted"])


async def test_retries_with_interval_then_success(tmp_path: Path) -> None:
    tasks = """
- {id: flaky, type: shell, roles: ["*"], requires: [start],
   parameters: {cmd: 'n=$(cat "$ROOT/n" 2>/dev/null || echo 0); echo $((n+1)) > "$ROOT/n"; [ $n -ge 2 ]',
                retries: 2, interval: 0.1}}
"""
    kit = make_kit(tmp_path, tasks, LAB[:1])
    await kit.orchestrator().run()
    assert kit.status("ctl-1") == "ready"
    assert (tmp_path / "ctl-1" / "n").read_text().strip() == "3"
    assert sum("retry" in line for line in kit.log("ctl-1")) == 2


async def test_retries_exhausted_is_error(tmp_path: Path) -> None:
    tasks = "- {id: bad, type: shell, roles: ['*'], parameters: {cmd: 'exit 1', retries: 1, interval: 0}}"
    kit = make_kit(tmp_path, tasks, LAB[:1])
    await kit.orchestrator().run()
    assert kit.status("ctl-1") == "error"
    assert sum("failed: exited with status 1" in line for line in kit.log("ctl-1")) == 2


async def test_timeout_kills_the_command(tmp_path: Path) -> None:
    tasks = """
- {id: slow, type: shell, roles: ["*"],
   parameters: {cmd: 'echo $$ > "$ROOT/pid"; sleep 30; touch "$ROOT/finished"', timeout: 0.5}}
"""
    kit = make_kit(tmp_path, tasks, LAB[:1])
    await asyncio.wait_for(kit.orchestrator().run(), 10)
    assert kit.status("ctl-1") == "error"
    assert "timed out after 0.5 s" in str(kit.recorder.states[kit.nodes[0].mac]["message"])
    pid = int((tmp_path / "ctl-1" / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (tmp_path / "ctl-1" / "finished").exists()


GATED = """
- {id: one, type: shell, roles: ["*"], requires: [start], parameters: {cmd: 'echo one'}}
- {id: two, type: shell, roles: ["*"], requires: [one],
   parameters: {cmd: 'touch "$ROOT/two-started"; while [ ! -f "$SHARED/go" ]; do sleep 0.05; done; echo two'}}
- {id: three, type: shell, roles: ["*"], requires: [two], parameters: {cmd: 'touch "$ROOT/three-ran"'}}
- {id: four, type: shell, roles: ["*"], requires: [three], parameters: {cmd: 'echo four'}}
"""


async def test_stop_finishes_running_work_then_resume_skips_finished_tasks(tmp_path: Path) -> None:
    kit = make_kit(tmp_path, GATED, LAB[:1])
    stop = asyncio.Event()
    run = asyncio.create_task(kit.orchestrator(stop=stop).run())
    await async_wait_until(_exists(tmp_path / "ctl-1" / "two-started"), what="task two running")
    stop.set()
    (tmp_path / "go").touch()  # the running task may now finish
    result = await asyncio.wait_for(run, 10)
    assert kit.status("ctl-1") == "stopped"
    assert result["stopped"] is True and result["ran"] == 2
    assert not (tmp_path / "ctl-1" / "three-ran").exists()  # nothing new started

    resumed = await kit.orchestrator().run()
    assert kit.status("ctl-1") == "ready"
    assert resumed["skipped"] == 2 and resumed["ran"] == 2  # one, two skipped; three, four ran
    assert sum("skipped" in line for line in kit.log("ctl-1")) == 2


async def test_stop_now_kills_running_command_and_marks_nodes_stopped(tmp_path: Path) -> None:
    kit = make_kit(tmp_path, GATED, LAB[:2])
    run = asyncio.create_task(kit.orchestrator().run())
    await async_wait_until(_exists(tmp_path / "ctl-1" / "two-started"), what="task two running")
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(run, 10)
    assert kit.status("ctl-1") == "stopped"
    assert kit.status("cmp-1") == "stopped"
    resumed = await asyncio.wait_for(_run_with_go(kit, tmp_path), 20)
    assert resumed["ready"] is True
    nodes = resumed["nodes"]
    assert isinstance(nodes, dict)
    assert nodes[kit.nodes[0].mac]["skipped"] == 1  # only "one" had finished on the controller


async def _run_with_go(kit, tmp_path: Path) -> dict[str, object]:
    (tmp_path / "go").touch()
    return await kit.orchestrator().run()


async def test_changed_configuration_or_force_reruns_tasks(tmp_path: Path) -> None:
    tasks = "- {id: a, type: shell, roles: ['*'], parameters: {cmd: 'echo x >> \"$ROOT/count\"'}}"
    kit = make_kit(tmp_path, tasks, LAB[:1])
    await kit.orchestrator().run()
    assert (await kit.orchestrator().run())["skipped"] == 1
    kit.nodes[0].config = kit.nodes[0].config.model_copy(update={"roles": ["controller", "cinder"]})
    assert (await kit.orchestrator().run())["ran"] == 1
    assert (await kit.orchestrator(force=True).run())["ran"] == 1
    assert (tmp_path / "ctl-1" / "count").read_text().count("x") == 3


async def test_ten_thousand_lines_arrive_whole_and_in_order(tmp_path: Path) -> None:
    tasks = "- {id: loud, type: shell, roles: ['*'], parameters: {cmd: 'seq 1 10000'}}"
    kit = make_kit(tmp_path, tasks, LAB[:1])
    await kit.orchestrator().run()
    lines = [line for line in kit.log("ctl-1") if not line.startswith("---")]
    assert lines == [str(n) for n in range(1, 10001)]


async def test_upload_file_master_shell_and_health_collection(tmp_path: Path) -> None:
    tasks = """
- {id: cfg, type: upload_file, roles: ["*"],
   parameters: {source: hostname, path: /etc/hostname, mode: "0600"}}
- {id: lit, type: upload_file, roles: ["*"], requires: [cfg], parameters: {data: "hello\\n", path: /x/y}}
- {id: on_master, type: master_shell, roles: ["*"], requires: [lit],
   parameters: {cmd: 'echo "$WHERE for $NODE"'}}
- {id: health, type: shell, roles: ["*"], requires: [end], parameters: {collect: health, always_run: true,
   cmd: 'echo "FUELTUI-HEALTH ok management peer 192.168.0.9"; echo noise'}}
"""
    kit = make_kit(tmp_path, tasks, LAB[:2])
    result = await kit.orchestrator().run()
    assert (tmp_path / "ctl-1" / "etc" / "hostname").read_text() == "ctl-1\n"
    assert oct((tmp_path / "ctl-1" / "etc" / "hostname").stat().st_mode & 0o777) == "0o600"
    assert (tmp_path / "cmp-1" / "x" / "y").read_text() == "hello\n"
    assert "master for cmp-1" in kit.log("cmp-1")
    assert result["health_ok"] is True
    health = result["health"]
    assert isinstance(health, list) and len(health) == 2
    assert {h["from"] for h in health} == {"ctl-1", "cmp-1"}
    again = await kit.orchestrator().run()
    assert again["skipped"] == 6 and again["ran"] == 2  # the health check always runs


def _exists(path: Path):
    async def check() -> bool:
        return path.exists()

    return check


async def test_health_check_leaves_out_peers_that_failed(tmp_path: Path) -> None:
    tasks = """
- {id: a, type: shell, roles: ["*"], requires: [start], parameters: {cmd: '[ "$NODE" != cmp-2 ]'}}
- {id: hs, type: upload_file, roles: ["*"], requires: [end],
   parameters: {source: healthcheck_script, path: /health.sh}}
- {id: health, type: shell, roles: ["*"], requires: [hs],
   parameters: {collect: health, cmd: 'sh ./health.sh'}}
"""
    kit = make_kit(tmp_path, tasks, LAB[:3])
    peers = [
        Peer(name=n.name, mac=n.mac, addresses={"management": f"127.0.0.{i}"})
        for i, n in enumerate(kit.nodes, start=1)
    ]
    for node in kit.nodes:
        node.config = node.config.model_copy(
            update={
                "peers": peers,
                "networks": [NetworkScheme(network="management", nic="lo", address="127.0.0.1/8")],
            }
        )
    result = await kit.orchestrator().run()
    assert [kit.status(n) for n in ("ctl-1", "cmp-1", "cmp-2")] == ["ready", "ready", "error"]
    script = (tmp_path / "ctl-1" / "health.sh").read_text()
    assert "cmp-1" in script and "cmp-2" not in script
    nodes = result["nodes"]
    assert isinstance(nodes, dict)
    assert nodes[kit.nodes[0].mac]["health_skipped"] == ["cmp-2"]
    health = result["health"]
    assert isinstance(health, list)
    assert sorted((h["from"], h["peer"]) for h in health) == [("cmp-1", "ctl-1"), ("ctl-1", "cmp-1")]
    assert result["health_ok"] is False  # not every node is ready


async def test_sync_copies_a_master_directory_onto_the_node(tmp_path: Path) -> None:
    source = tmp_path / "modules"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "file.txt").write_text("payload\n")
    target = tmp_path / "target"
    tasks = f"- {{id: s, type: sync, roles: ['*'], parameters: {{src: '{source}', dst: '{target}'}}}}"
    kit = make_kit(tmp_path, tasks, LAB[:1])
    kit.nodes[0].runner = LocalRunner(env={"NODE": "ctl-1"})  # absolute paths on this host's /tmp
    result = await kit.orchestrator().run()
    assert result["ready"] is True, kit.log("ctl-1")
    assert (target / "sub" / "file.txt").read_text() == "payload\n"


async def test_reboot_waits_for_a_new_boot_id(tmp_path: Path) -> None:
    tasks = """
- {id: r, type: reboot, roles: ["*"], parameters: {timeout: 10, poll: 0.1,
   boot_id_cmd: 'cat "$ROOT/boot_id"', cmd: 'echo second > "$ROOT/boot_id"'}}
- {id: stuck, type: reboot, roles: ["*"], requires: [r], parameters: {timeout: 0.5, poll: 0.1,
   boot_id_cmd: 'cat "$ROOT/boot_id"', cmd: 'true'}}
"""
    kit = make_kit(tmp_path, tasks, LAB[:1])
    (tmp_path / "ctl-1" / "boot_id").write_text("first\n")
    await kit.orchestrator().run()
    assert "the node is back" in kit.log("ctl-1")
    assert kit.status("ctl-1") == "error"
    assert "stuck: did not come back within 0.5 s" in str(kit.recorder.states[kit.nodes[0].mac]["message"])


async def test_resume_skips_a_task_only_when_its_check_says_the_node_still_matches(tmp_path: Path) -> None:
    tasks = """
- {id: file, type: upload_file, roles: ["*"], parameters: {data: "wanted\\n", path: /etc/thing}}
- {id: state, type: shell, roles: ["*"], requires: [file],
   parameters: {cmd: 'echo on > "$ROOT/state"; echo x >> "$ROOT/count"', check: 'grep -qx on "$ROOT/state"'}}
"""
    kit = make_kit(tmp_path, tasks, LAB[:1])
    root = tmp_path / "ctl-1"
    assert (await kit.orchestrator().run())["ran"] == 2
    assert (await kit.orchestrator().run())["skipped"] == 2  # both checks pass: nothing to redo

    (root / "state").write_text("off\n")  # the node drifted: the check fails, the task runs
    (root / "etc" / "thing").unlink()  # an uploaded file was deleted: it is put back
    again = await kit.orchestrator().run()
    assert (again["ran"], again["skipped"]) == (2, 0)
    assert (root / "state").read_text() == "on\n" and (root / "etc" / "thing").read_text() == "wanted\n"
    log = kit.log("ctl-1")
    assert "--- file: done before, but the node no longer matches: /etc/thing is missing or unreadable" in log
    assert "--- state: done before, but the node no longer matches: the check exited with status 1" in log

    (root / "etc" / "thing").write_text("edited\n")
    third = await kit.orchestrator().run()
    assert (third["ran"], third["skipped"]) == (1, 1)
    assert "--- file: done before, but the node no longer matches: /etc/thing was changed on the node" in (
        kit.log("ctl-1")
    )
    assert (root / "count").read_text() == "x\nx\n"  # the shell task ran twice in four deploys


async def test_health_blames_the_node_no_peer_reaches_not_its_peers(tmp_path: Path) -> None:
    # Each node reports its pings; nobody reaches cmp-2, which itself reaches everyone.
    tasks = """
- id: health
  type: shell
  roles: ["*"]
  requires: [end]
  parameters:
    collect: health
    cmd: |
      rc=0
      for peer in ctl-1 cmp-1 cmp-2; do
        [ "$peer" = "$NODE" ] && continue
        if [ "$peer" = cmp-2 ]; then verdict=fail; rc=1; else verdict=ok; fi
        echo "FUELTUI-HEALTH $verdict management $peer 192.168.0.${#peer}"
      done
      exit $rc
"""
    kit = make_kit(tmp_path, tasks, LAB[:3])
    result = await kit.orchestrator().run()
    assert [kit.status(n) for n in ("ctl-1", "cmp-1", "cmp-2")] == ["ready", "ready", "error"]
    message = str(kit.recorder.states[kit.nodes[2].mac]["message"])
    assert message == "health: no peer reaches it on management (192.168.0.5)"
    nodes = result["nodes"]
    assert isinstance(nodes, dict)
    assert nodes[kit.nodes[0].mac]["blamed"] == [] and nodes[kit.nodes[2].mac]["failed_task"] == "health"
    assert result["health_ok"] is False and result["ready"] is False


def test_blame_rules() -> None:
    from fueltui.master.deploy.health import blame

    def entry(src: str, peer: str, ok: bool, network: str = "management") -> dict[str, object]:
        return {"from": src, "peer": peer, "network": network, "address": f"ip-{peer}", "ok": ok}

    everyone = [entry(a, b, True) for a in "ABC" for b in "ABC" if a != b]
    assert blame(everyone) == {}
    # C lost its address: it reaches nobody and nobody reaches it; A and B are fine.
    lost = [entry(a, b, "C" not in (a, b)) for a in "ABC" for b in "ABC" if a != b]
    assert blame(lost) == {"C": ["no peer reaches it on management (ip-C)"]}
    # C's outgoing path is broken only.
    one_way = [entry(a, b, a != "C") for a in "ABC" for b in "ABC" if a != b]
    assert blame(one_way) == {"C": ["it reaches no peer on management"]}
    # One pair fails, nobody is isolated: both ends, for the operator to tell apart.
    pair = [entry(a, b, (a, b) != ("A", "B")) for a in "ABC" for b in "ABC" if a != b]
    assert blame(pair) == {
        "A": ["cannot reach B on management (ip-B)"],
        "B": ["A cannot reach it on management (ip-B)"],
    }
