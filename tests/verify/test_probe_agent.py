"""The probe agent: frames on paper, then for real between namespaces across Linux bridges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from netns import AGENT, Closet, sh

from fueltui.master.verify import probe_agent as agent
from polling import wait_until

MAC = bytes.fromhex("525400000101")


# --------------------------------------------------------------------------- frames


def test_untagged_frame_round_trip() -> None:
    frame = agent.build_frame(MAC, 0, {"id": "v1", "node": "n1", "nic": "eth0"})
    assert len(frame) >= agent.MIN_FRAME
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == MAC
    assert agent.parse_frame(frame) == (0, {"id": "v1", "node": "n1", "nic": "eth0"})


def test_tag_inside_the_frame_is_read() -> None:
    frame = agent.build_frame(MAC, 101, {"id": "v1"})
    assert frame[12:16] == bytes.fromhex("81000065")
    assert agent.parse_frame(frame) == (101, {"id": "v1"})


def test_tag_in_auxdata_is_read_when_the_kernel_stripped_it() -> None:
    stripped = agent.build_frame(MAC, 0, {"id": "v1"})
    aux = agent.AUXDATA.pack(agent.TP_STATUS_VLAN_VALID | 1, 60, 60, 0, 14, 101, 0x8100)
    vlan = agent.aux_vlan_of([(agent.SOL_PACKET, agent.PACKET_AUXDATA, aux)])
    assert vlan == 101
    assert agent.parse_frame(stripped, vlan) == (101, {"id": "v1"})
    no_tag = agent.AUXDATA.pack(1, 60, 60, 0, 14, 0, 0)
    assert agent.aux_vlan_of([(agent.SOL_PACKET, agent.PACKET_AUXDATA, no_tag)]) is None


def test_foreign_frames_are_ignored() -> None:
    frame = bytearray(agent.build_frame(MAC, 0, {"id": "v1"}))
    assert agent.parse_frame(bytes(frame[:13])) is None
    other = bytes(frame[:12]) + b"\x08\x00" + bytes(frame[14:])
    assert agent.parse_frame(other) is None
    frame[14] ^= 0xFF  # magic broken
    assert agent.parse_frame(bytes(frame)) is None
    garbage = agent.BROADCAST + MAC + b"\x88\xb5" + agent.MAGIC + b"\x00\x04{{{{"
    assert agent.parse_frame(garbage) is None


def test_nic_specs() -> None:
    assert agent.parse_nic_spec("eth1=101,0,101") == ("eth1", [0, 101])
    assert agent.parse_nic_spec("eth0") == ("eth0", [0])
    assert agent.parse_nic_spec("we=ird,nic=0,7") == ("we=ird,nic", [0, 7])
    with pytest.raises(Exception, match="bad NIC spec"):
        agent.parse_nic_spec("eth0=5000")


def test_agent_is_standard_library_only() -> None:
    """It runs on nodes with nothing but python3: no fueltui, no third-party import."""
    source = AGENT.read_text()
    imports = {
        line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))
    }
    assert imports <= set(sys.stdlib_module_names) | {"__future__"}


# --------------------------------------------------------------------------- for real


class Listener:
    """`probe_agent.py listen` running inside a namespace, its output read as it comes."""

    def __init__(self, ns: str, node: str, nics: list[str], stop_file: Path, *extra: str) -> None:
        self.stop_file = stop_file
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "/usr/bin/python3",
                str(AGENT),
                "listen",
                "--id",
                "vid-1",
                "--node",
                node,
                "--nics",
                ",".join(nics),
                "--stop-file",
                str(stop_file),
                "--timeout",
                "30",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE if "--control-stdin" in extra else subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: any(x.startswith("READY") for x in self.lines), what=f"{node} listening")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def heard(self, nic: str, vlan: int, sender: str) -> bool:
        return any(x.startswith(f"HEARD {nic} {vlan} {sender} ") for x in self.lines)

    def ended(self, timeout: float = 20) -> dict[str, Any]:
        """The report of a listener that ends by itself (long before its grace period)."""
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        line = next(x for x in self.lines if x.startswith("RESULT "))
        return json.loads(line.split(" ", 1)[1])

    def result(self) -> dict[str, Any]:  # the agent's JSON report, read as the tests index it
        self.stop_file.touch()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        line = next(x for x in self.lines if x.startswith("RESULT "))
        return json.loads(line.split(" ", 1)[1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def send(ns: str, node: str, *specs: str) -> dict[str, object]:
    argv = [
        "ip",
        "netns",
        "exec",
        ns,
        "/usr/bin/python3",
        str(AGENT),
        "send",
        "--id",
        "vid-1",
        "--node",
        node,
    ]
    for spec in specs:
        argv += ["--nic", spec]
    out = sh(*argv).stdout
    return json.loads(out.split(" ", 1)[1])


@pytest.fixture
def closet() -> Iterator[Closet]:
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    box = Closet()
    try:
        yield box
    finally:
        box.close()


@pytest.mark.lab
def test_probes_cross_the_bridges_tagged_and_untagged_and_an_unplugged_nic_hears_nothing(
    closet: Closet, tmp_path: Path
) -> None:
    wiring = {"eth0": "br0", "eth1": "br1"}
    spaces = {n: closet.node(n, wiring) for n in ("n1", "n2", "n3")}
    closet.unplug("n3", "eth1")
    listeners = {
        n: Listener(ns, n, ["eth0", "eth1", "nosuch0"], tmp_path / f"{n}.stop") for n, ns in spaces.items()
    }
    try:
        for n, ns in spaces.items():
            sent = send(ns, n, "eth0=0", "eth1=0,101")
            assert sent["frames"] == 3 * 3 and sent["errors"] == {}
        others = {"n1": "n2", "n2": "n1"}
        for n, peer in others.items():
            wait_until(partial(listeners[n].heard, "eth1", 101, peer), what=f"{n} hears {peer}")
        for n in spaces:
            for peer in spaces:
                if peer != n:
                    wait_until(partial(listeners[n].heard, "eth0", 0, peer), what="eth0")
        results = {n: listener.result() for n, listener in listeners.items()}
    finally:
        for listener in listeners.values():
            listener.kill()
    n1 = results["n1"]["heard"]
    assert n1["eth0"] == {"0": [["n2", "eth0"], ["n3", "eth0"]]}
    # The tagged probe crossed br1 and was heard on VLAN 101; n3's unplugged eth1 was not heard.
    assert n1["eth1"] == {"0": [["n2", "eth1"]], "101": [["n2", "eth1"]]}
    assert results["n3"]["heard"]["eth1"] == {}
    assert results["n3"]["heard"]["eth0"] == {"0": [["n1", "eth0"], ["n2", "eth0"]]}
    assert set(results["n1"]["errors"]) == {"nosuch0"}
    assert not (tmp_path / "n1.stop").exists()


@pytest.mark.lab
def test_listener_brings_a_down_nic_up_and_back_down(closet: Closet, tmp_path: Path) -> None:
    ns1 = closet.node("n1", {"eth0": "br0"})
    ns2 = closet.node("n2", {"eth0": "br0"})
    sh("ip", "-n", ns1, "link", "set", "eth0", "down")
    listener = Listener(ns1, "n1", ["eth0"], tmp_path / "stop", "--up")
    try:
        send(ns2, "n2", "eth0=0,42")
        wait_until(lambda: listener.heard("eth0", 42, "n2"), what="tagged probe on a NIC brought up")
        result = listener.result()
    finally:
        listener.kill()
    assert result["heard"]["eth0"]["42"] == [["n2", "eth0"]]
    state = json.loads(sh("ip", "-n", ns1, "-j", "link", "show", "eth0").stdout)[0]
    assert "UP" not in state["flags"]


@pytest.mark.lab
@pytest.mark.parametrize("go", ["file", "stdin"])
def test_listeners_told_go_send_and_end_once_everything_expected_was_heard(
    closet: Closet, tmp_path: Path, go: str
) -> None:
    """Go by a file, or (the master's way) a GO line down the listener's own session: no new
    session per node."""
    spaces = {n: closet.node(n, {"eth0": "br0", "eth1": "br1"}) for n in ("n1", "n2")}
    told = ["--go-file", str(tmp_path / "go")] if go == "file" else ["--control-stdin"]
    listeners = {}
    for n, ns in spaces.items():
        peer = "n2" if n == "n1" else "n1"
        expect = tmp_path / f"{n}.expect"
        expect.write_text(json.dumps({"eth0": {"0": [[peer, "eth0"]]}, "eth1": {"101": [[peer, "eth1"]]}}))
        listeners[n] = Listener(
            ns, n, ["eth0", "eth1"], tmp_path / f"{n}.stop", *told,
            "--expect-file", str(expect), "--grace", "60", "--send", "eth0=0", "--send", "eth1=0,101",
        )  # fmt: skip
    try:
        for listener in listeners.values():
            assert not any(x.startswith("SENT ") for x in listener.lines)  # nothing before the go
            if listener.proc.stdin is not None:
                listener.proc.stdin.write("GO\n")
                listener.proc.stdin.flush()
        (tmp_path / "go").touch()
        results = {n: listener.ended() for n, listener in listeners.items()}
    finally:
        for listener in listeners.values():
            listener.kill()
    for n, result in results.items():
        peer = "n2" if n == "n1" else "n1"
        assert any(x.startswith("SENT ") for x in listeners[n].lines)
        assert result["heard"]["eth1"]["101"] == [[peer, "eth1"]]
        assert result["errors"] == {}
        # The master reads the RESULT: no line per peer heard (~1 000 a node at 200 nodes).
        assert not any(x.startswith("HEARD ") for x in listeners[n].lines)
    assert not (tmp_path / "n1.expect").exists()  # the listener cleans up after itself


@pytest.mark.lab
@pytest.mark.parametrize("word", ["STOP\n", ""])
def test_a_listener_ends_on_stop_or_when_its_stdin_closes(closet: Closet, tmp_path: Path, word: str) -> None:
    """STOP ends it at once; so does the end of stdin (the master's session is gone), so a
    listener never outlives its master by its whole timeout."""
    ns = closet.node("n1", {"eth0": "br0"})
    listener = Listener(
        ns, "n1", ["eth0"], tmp_path / "stop", "--control-stdin", "--send", "eth0=0", "--go-timeout", "25",
    )  # fmt: skip
    try:
        assert listener.proc.stdin is not None
        if word:
            listener.proc.stdin.write(word)
            listener.proc.stdin.flush()
        else:
            listener.proc.stdin.close()
        result = listener.ended(timeout=10)  # far below its 30 s timeout and 25 s go timeout
    finally:
        listener.kill()
    assert not any(x.startswith("SENT ") for x in listener.lines)
    assert result["errors"] == {}
