"""A lab of real nodes on one host: network namespaces, veth NICs into per-network bridges,
a private copy-on-write root per node, sshd that trusts only the master's key, and DHCP
from the lab's master on the admin bridge.

Layout, for prefix P: namespace `P-master` holds the bridges (`br-admin`, ...), the
master's admin address and the lab's fueltui master; namespace `P-n<i>` is node i with
NICs eth0..eth{K-1}. Nothing is created in the host's own network namespace, and the
master namespace has no route out. Files live under /run/fueltui-lab/P.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from fueltui.core.model import BootOptions, DhcpPool
from fueltui.lab import netns, processes
from fueltui.lab import vms as lab_vms
from fueltui.lab.names import (
    ADMIN_PREFIXLEN,
    DEFAULT_NETWORKS,
    DHCP_POOL,
    LARGE_DHCP_POOL,
    MASTER_ADMIN_IP,
    LabError,
    LabNames,
    bridge_name,
    check_prefix,
    current_prefix,
    hostname,
    node_mac,
    peer_name,
)
from fueltui.lab.nodeinit import NODE_INIT, SSHD_CONFIG, UDHCPC_SCRIPT
from fueltui.lab.state import LabNode, LabState, NodeRow, write_json
from fueltui.master.discovery.dnsmasq import dnsmasq_argv, render_config
from fueltui.master.discovery.service import LAB_BOOT_ENV
from fueltui.ssh.keys import ensure_master_key, public_key_path

__all__ = ["Lab", "LabNode", "LabState", "NodeRow", "check_root", "lab_boot_options"]

MAX_NODES = 250  # the admin /24 has 252 addresses for nodes
PUBLIC_GATEWAY = "172.16.0.1/24"  # the release's default public gateway


def check_root(euid: int | None = None) -> None:
    """`lab up` builds namespaces, bridges and mounts: only root can."""
    if (os.geteuid() if euid is None else euid) != 0:
        raise LabError(
            "the lab needs root: it creates network namespaces, bridges and mounts. "
            "Run it as root (e.g. `sudo fueltui lab up`)."
        )


def lab_boot_options(nodes: int = 0) -> BootOptions:
    """The lab master's boot options: Fuel's pool (.129-.254, 126 nodes) unless the lab has
    more nodes than that, then the whole admin /24 past the master."""
    start, end = DHCP_POOL if nodes <= 126 else LARGE_DHCP_POOL
    return BootOptions(
        interface=bridge_name("admin"),
        ip=MASTER_ADMIN_IP,
        netmask=str(ADMIN_PREFIXLEN),
        hostname="fuel.lab",
        dhcp_pool=DhcpPool(start=start, end=end),
    )


def master_available() -> bool:
    return importlib.util.find_spec("fueltui.master.cli") is not None


class Lab:
    def __init__(self, prefix: str | None = None, master_env: dict[str, str] | None = None) -> None:
        self.names = LabNames(check_prefix(prefix) if prefix else current_prefix())
        # Extra environment for the lab's master (tests shorten the poll intervals with it).
        self.master_env = dict(master_env or {})
        self._vms = 0
        self._vm_firmware = "bios"

    # ------------------------------------------------------------------ state

    def state(self) -> LabState | None:
        try:
            return LabState.from_json(self.names.state_file.read_text())
        except FileNotFoundError:
            return None
        except (ValueError, TypeError, KeyError):
            return None

    def _save(self, state: LabState) -> None:
        write_json(self.names.state_file, asdict(state))

    @property
    def master_state_dir(self) -> Path:
        return self.names.master_state

    def node(self, index: int) -> LabNode:
        state = self.state()
        if state is None:
            raise LabError(f"lab {self.names.prefix!r} is not up")
        for node in state.nodes:
            if node.index == index:
                return node
        raise LabError(f"lab {self.names.prefix!r} has no node {index}")

    def healthy(self, state: LabState | None = None) -> bool:
        state = state or self.state()
        if state is None or not state.nodes:
            return False
        existing = set(netns.list_netns())
        if self.names.master_ns not in existing:
            return False
        for pid in [state.master_pid, state.dhcp_pid]:
            if pid is not None and not processes.alive(pid):
                return False
        return all(n.netns in existing and processes.alive(n.pid) for n in state.nodes)

    # ------------------------------------------------------------------ up

    def up(
        self,
        nodes: int = 3,
        nics: int = 4,
        networks: tuple[str, ...] | list[str] = DEFAULT_NETWORKS,
        start_master: bool | None = None,
        timeout: float = 60.0,
        dhcp: bool = True,
        vms: int = 0,
        image: Path | None = None,
        vm_firmware: str = "bios",
        wait_discovered: bool = False,
    ) -> LabState:
        """Build the lab (or keep it when it is up and healthy with the same shape).

        `start_master`: start the lab's fueltui master (default: when it is installed);
        without it, `dhcp` decides whether a bare dnsmasq serves the admin network.
        `vms`: QEMU machines that PXE-boot from the master, besides the namespace nodes
        (`vm_firmware`: bios or uefi).
        `image`: the nodes' root (the release's OS image, `fueltui mirror sync`); default:
        the host's `/`, read-only beneath each node's own writable layer."""
        check_root()
        networks = list(networks)
        if not (0 if vms else 1) <= nodes <= MAX_NODES:
            raise LabError(f"--nodes must be between 1 and {MAX_NODES}")
        if not 1 <= nics <= 16:
            raise LabError("--nics must be between 1 and 16")
        if not networks or networks[0] != "admin" or len(set(networks)) != len(networks):
            raise LabError("--networks must start with 'admin' and name each network once")
        for net in networks:
            if not net.isalnum() or len(bridge_name(net)) != len(f"br-{net}"):
                raise LabError(f"network name {net!r}: letters and digits only, at most 12")
        current = self.state()
        if (
            current is not None
            and self.healthy(current)
            and (len(current.nodes), current.nics, current.networks) == (nodes, nics, networks)
            and len(lab_vms.load(self.names).vms) == vms
            and current.image == (str(image) if image else None)
        ):
            return current
        self.down()  # whatever a half-done earlier `up` left behind
        if start_master is None:
            start_master = master_available()
        self._vms = vms
        self._vm_firmware = vm_firmware
        try:
            state = self._build(nodes, nics, networks, start_master, dhcp, timeout, image)
            if start_master and wait_discovered:
                self._wait_discovered(state, time.monotonic() + timeout)
            return state
        except BaseException:
            self.down()
            raise

    def _build(
        self,
        count: int,
        nics: int,
        networks: list[str],
        start_master: bool,
        dhcp: bool,
        timeout: float,
        image: Path | None = None,
    ) -> LabState:
        names = self.names
        if image is not None and not (image / "usr" / "sbin" / "sshd").exists():
            raise LabError(f"{image} is not an OS image with sshd (run `fueltui mirror sync` first)")
        names.root.mkdir(parents=True, exist_ok=True)
        names.root.chmod(0o700)
        names.log_dir.mkdir(exist_ok=True)
        state = LabState(
            prefix=names.prefix, networks=networks, nics=nics, image=str(image) if image else None
        )
        self._save(state)
        ensure_master_key(names.master_state)
        authorized = names.root / "authorized_keys"
        shutil.copyfile(public_key_path(names.master_state), authorized)
        if self._vms:
            lab_vms.build_bootstrap(names)  # before the master starts, so its PXE serves it at once

        master = names.master_ns
        netns.run(["ip", "netns", "add", master])
        cmds = ["link set lo up"]
        for net in networks:
            br = bridge_name(net)
            cmds += [f"link add {br} type bridge stp_state 0 mcast_snooping 0", f"link set {br} up"]
        cmds.append(f"addr add {MASTER_ADMIN_IP}/{ADMIN_PREFIXLEN} dev {bridge_name('admin')}")
        if self._vms:
            cmds += lab_vms.admin_bridge_commands()
        if image is not None and "public" in networks:
            # The public network's gateway, as a rack's router would hold it: the cloud's
            # floating IPs and Horizon are reachable from the lab master's namespace.
            cmds.append(f"addr add {PUBLIC_GATEWAY} dev {bridge_name('public')}")
        netns.ip_batch(cmds, master)

        if start_master:
            state.master_pid = self._start_master(count)
        elif dhcp:
            state.dhcp_pid = self._start_dnsmasq(count)
        self._save(state)

        attach: list[str] = []
        for index in range(1, count + 1):
            ns = names.node_ns(index)
            netns.run(["ip", "netns", "add", ns])
            node_cmds = ["link set lo up"]
            macs = []
            for nic in range(nics):
                mac = node_mac(index, nic)
                macs.append(mac)
                peer = peer_name(index, nic)
                node_cmds.append(f"link add eth{nic} address {mac} type veth peer name {peer} netns {master}")
                node_cmds.append(f"link set eth{nic} up")
                attach.append(f"link set {peer} master {bridge_name(networks[nic % len(networks)])} up")
            netns.ip_batch(node_cmds, ns)
            netns.ip_batch(attach, master)  # plugged in before its DHCP client starts
            if image is not None:
                self._checksum_offload_off([peer_name(index, nic) for nic in range(nics)])
            attach.clear()
            pid = self._start_node(index, ns, authorized, image)
            state.nodes.append(LabNode(index, ns, hostname(index), macs, pid))
            self._save(state)

        deadline = time.monotonic() + timeout
        for node in state.nodes:
            self._wait(lambda n=node: self._ready(n), deadline, f"node {node.index} to start sshd")
        for node in state.nodes if start_master or dhcp else []:
            self._wait(
                lambda n=node: netns.ipv4_of(n.netns, "eth0"),
                deadline,
                f"node {node.index} to get a DHCP lease",
            )
        if self._vms:
            lab_vms.start(names, self._vms, networks, nics, firmware=self._vm_firmware)
        return state

    def _wait_discovered(self, state: LabState, deadline: float) -> None:
        """`lab up` returns once the master lists every node online with its facts, so the
        next command (an `apply` naming their MACs) finds them."""
        import asyncio

        from fueltui.client.api import MasterClient

        wanted = {node.admin_mac for node in state.nodes}

        async def missing() -> set[str]:
            async with await MasterClient.connect(self.names.master_state, autostart=False) as client:
                records = await client.nodes()
            return wanted - {r.node.mac for r in records if r.node.online and r.node.facts.nics}

        while left := asyncio.run(missing()):
            if time.monotonic() > deadline:
                names = ", ".join(sorted(left))
                log = self.names.log_dir / "master.log"
                raise LabError(f"the lab's master did not discover {names} (its log: {log})")
            time.sleep(0.2)  # polling the master until every node is discovered

    def _wait(self, condition: object, deadline: float, what: str) -> None:
        assert callable(condition)
        while not condition():
            if time.monotonic() > deadline:
                raise LabError(f"timed out waiting for {what} (logs in {self.names.log_dir})")
            time.sleep(0.05)  # polling interval

    def _ready(self, node: LabNode) -> bool:
        if not processes.alive(node.pid):
            log = self.names.log_dir / f"node-{node.index}.log"
            raise LabError(f"node {node.index} died while starting; see {log}")
        init = self.init_pid(node)
        return init is not None and Path(f"/proc/{init}/root/run/fueltui-node-ready").exists()

    def _spawn(self, argv: list[str], log_name: str, env: dict[str, str] | None = None) -> int:
        log = open(self.names.log_dir / log_name, "ab")  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        finally:
            log.close()
        return proc.pid

    def _checksum_offload_off(self, links: list[str]) -> None:
        """Open vSwitch's userspace datapath does not complete partial checksums: TCP over
        veth would fail while ping works. The nodes turn their own ends off when deployed."""
        for link in links:
            argv = ["ip", "netns", "exec", self.names.master_ns, "ethtool", "-K", link, "tx", "off"]
            netns.run(argv, check=False)

    def _start_node(self, index: int, ns: str, authorized: Path, image: Path | None = None) -> int:
        node_dir = self.names.node_dir(index)
        node_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            "ip", "netns", "exec", ns,
            "unshare", "--uts", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private",
            "sh", "-c", 'eval "$FUELTUI_NODE_INIT"', "fueltui-node",
            str(node_dir), hostname(index), str(authorized), str(image or "/"),
        ]  # fmt: skip
        env = {"FUELTUI_NODE_INIT": NODE_INIT, "SSHD_CONFIG": SSHD_CONFIG, "UDHCPC_SCRIPT": UDHCPC_SCRIPT}
        return self._spawn(argv, f"node-{index}.log", env)

    def restart_master(self) -> int:
        """Start the lab's master again (after it died or was killed); returns its pid."""
        state = self.state()
        if state is None:
            raise LabError(f"lab {self.names.prefix!r} is not up")
        state.master_pid = self._start_master(len(state.nodes))
        self._save(state)
        return state.master_pid

    def master_exec(self, argv: list[str], check: bool = True) -> str:
        """Run a command in the lab master's network namespace (its bridges, its addresses)."""
        return netns.run(["ip", "netns", "exec", self.names.master_ns, *argv], check=check)

    def _start_master(self, nodes: int) -> int:
        state_dir = self.names.master_state
        argv = ["ip", "netns", "exec", self.names.master_ns, sys.executable, "-m", "fueltui"]
        argv += ["--state-dir", str(state_dir), "master", "run"]
        env = {
            "FUELTUI_LAB_PREFIX": self.names.prefix,
            LAB_BOOT_ENV: lab_boot_options(nodes).model_dump_json(),
            **self.master_env,
        }
        pid = self._spawn(argv, "master.log", env)
        sock = state_dir / "master.sock"
        deadline = time.monotonic() + 30
        while not sock.exists():
            if not processes.alive(pid) or time.monotonic() > deadline:
                tail = (self.names.log_dir / "master.log").read_text(errors="replace")[-2000:]
                raise LabError(f"the lab's master did not start:\n{tail}")
            time.sleep(0.05)  # polling interval
        return pid

    def _start_dnsmasq(self, nodes: int) -> int:
        conf = self.names.root / "dnsmasq.conf"
        leases = self.names.root / "dnsmasq.leases"
        conf.write_text(render_config(lab_boot_options(nodes), bridge_name("admin"), leases))
        return self._spawn(["ip", "netns", "exec", self.names.master_ns, *dnsmasq_argv(conf)], "dnsmasq.log")

    # ------------------------------------------------------------------ nodes

    def init_pid(self, node: LabNode) -> int | None:
        kids = processes.children(node.pid)
        return kids[0] if kids else None

    def node_exec(self, index: int, argv: list[str], input: str | None = None, check: bool = True) -> str:
        """Run a command inside node `index` (all its namespaces): the lab's own back door,
        for tests that must break a node on purpose. Everything else goes through SSH."""
        init = self.init_pid(self.node(index))
        if init is None:
            raise LabError(f"node {index} is not running")
        return netns.run(["nsenter", "-t", str(init), "-a", *argv], input=input, check=check)

    def node_pids(self, index: int) -> list[int]:
        """Every process of node `index` (its PID namespace), as the host numbers them."""
        init = self.init_pid(self.node(index))
        if init is None:
            return []
        try:
            ns = os.readlink(f"/proc/{init}/ns/pid")
        except OSError:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.readlink(f"/proc/{entry.name}/ns/pid") == ns:
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    def sshd_pids(self, index: int) -> list[int]:
        """The node's sshd: the listener and every session it forked."""
        return [
            pid
            for pid in self.node_pids(index)
            if (args := processes.cmdline(pid)) and args[0].split()[0].split("/")[-1].rstrip(":") == "sshd"
        ]

    def kill_sshd(self, index: int) -> None:
        """Kill the node's sshd and every session: the node drops off the network for SSH."""
        processes.kill(self.sshd_pids(index))

    def start_sshd(self, index: int) -> None:
        self.node_exec(index, ["/usr/sbin/sshd", "-f", "/etc/fueltui-node/sshd_config"])

    def replace_host_key(self, index: int) -> None:
        """Give the node a new host key, as a reinstall (or an impostor) would."""
        self.kill_sshd(index)
        key = "/etc/fueltui-node/ssh_host_ed25519_key"
        self.node_exec(index, ["rm", "-f", key, key + ".pub"])
        self.node_exec(index, ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        self.start_sshd(index)

    def set_hostname(self, index: int, name: str) -> None:
        self.node_exec(index, ["sh", "-c", 'printf %s "$1" > /proc/sys/kernel/hostname', "sh", name])

    def admin_ip(self, index: int) -> str | None:
        return netns.ipv4_of(self.names.node_ns(index), "eth0")

    def status(self) -> list[NodeRow]:
        state = self.state()
        if state is None:
            return []
        existing = set(netns.list_netns())
        rows = []
        for node in state.nodes:
            there = node.netns in existing
            rows.append(
                NodeRow(
                    index=node.index,
                    hostname=node.hostname,
                    netns=node.netns,
                    alive=there and processes.alive(node.pid),
                    admin_ip=netns.ipv4_of(node.netns, "eth0") if there else None,
                    macs=node.macs,
                )
            )
        return rows

    # ------------------------------------------------------------------ down

    def down(self) -> None:
        """Remove every trace: processes, namespaces (and with them every link), files."""
        check_root()
        names = self.names
        owned = [ns for ns in netns.list_netns() if names.owns_ns(ns)]
        master_pids = netns.netns_pids(names.master_ns) if names.master_ns in owned else []
        processes.end(master_pids)
        pids: set[int] = set()
        for ns in owned:
            pids.update(netns.netns_pids(ns))
        pids.update(processes.mentioning(str(names.root)))
        processes.kill(pids)
        for ns in owned:
            netns.run(["ip", "netns", "del", ns], check=False)
        self._unmount_under(names.root)
        if names.root.exists():
            shutil.rmtree(names.root)
        leftover = [ns for ns in netns.list_netns() if names.owns_ns(ns)]
        if leftover:
            raise LabError(f"could not remove namespaces {', '.join(leftover)}")

    def _unmount_under(self, root: Path) -> None:
        prefix = str(root) + "/"
        points = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4]
            if point == str(root) or point.startswith(prefix):
                points.append(point)
        for point in sorted(points, key=len, reverse=True):
            netns.run(["umount", "-l", point], check=False)
