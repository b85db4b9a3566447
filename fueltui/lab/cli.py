"""`fueltui lab up|down|status`: a lab of namespace nodes on this host (root only)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from fueltui.core.releases import default_release
from fueltui.lab import processes
from fueltui.lab import vms as lab_vms
from fueltui.lab.lab import Lab, check_root
from fueltui.lab.names import DEFAULT_NETWORKS, LabError
from fueltui.lab.state import LabNode, LabState
from fueltui.mirror.paths import image_dir, image_ready


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lab = sub.add_parser("lab", help="build or remove a lab of namespace nodes on this host (root)")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    up = lab_sub.add_parser("up", help="create the lab, start its master and nodes")
    up.add_argument("--nodes", type=int, default=3, help="number of nodes (default 3)")
    up.add_argument("--nics", type=int, default=4, help="NICs per node, eth0 on admin (default 4)")
    up.add_argument(
        "--networks",
        default=",".join(DEFAULT_NETWORKS),
        help="physical networks, one bridge each; NIC k plugs into network k (modulo their number)",
    )
    up.add_argument("--vms", type=int, default=0, help="QEMU VMs that PXE-boot from the master (default 0)")
    up.add_argument("--vm-firmware", choices=["bios", "uefi"], default="bios", help="the VMs' firmware")
    up.add_argument("--no-master", action="store_true", help="serve DHCP only, do not start a fueltui master")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for nodes (default 120)")
    up.add_argument(
        "--os",
        action="store_true",
        help="nodes run the release's OS image (Debian 13, from `fueltui mirror sync`), not the host's /",
    )
    up.set_defaults(func=_up)

    run = lab_sub.add_parser(
        "exec", help="run a command inside a lab node (or `master`: the master's namespace)"
    )
    run.add_argument("node", help="node number, its hostname, or `master`")
    run.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...] (default: a shell)")
    run.set_defaults(func=_exec)

    down = lab_sub.add_parser("down", help="remove every trace of the lab")
    down.set_defaults(func=_down)

    status = lab_sub.add_parser("status", help="list the lab's nodes and their MACs")
    status.set_defaults(func=_status)


def _fail(exc: Exception) -> int:
    print(f"fueltui lab: {exc}", file=sys.stderr)
    return 1


def _up(args: argparse.Namespace) -> int:
    try:
        check_root()
        lab = Lab()
        networks = [n.strip() for n in args.networks.split(",") if n.strip()]
        state = lab.up(
            nodes=args.nodes,
            nics=args.nics,
            networks=networks,
            start_master=False if args.no_master else None,
            timeout=args.timeout,
            vms=args.vms,
            vm_firmware=args.vm_firmware,
            image=os_image() if args.os else None,
            wait_discovered=True,  # the next command (an apply) finds every node
        )
    except LabError as exc:
        return _fail(exc)
    master = "fueltui master" if state.master_pid else "DHCP only (no fueltui master)"
    print(f"lab {state.prefix!r} up: {len(state.nodes)} nodes × {state.nics} NICs, {master}")
    print(f"state: {lab.names.root}; talk to its master with `fueltui --lab ...`")
    return _print_status(lab)


def os_image() -> Path:
    release = default_release()
    if release.os is None:
        raise LabError(f"release {release.id} names no OS image")
    if not image_ready(release.os.name):
        raise LabError(f"no {release.os.name} image yet: run `fueltui mirror sync` first")
    return image_dir(release.os.name)


def _exec(args: argparse.Namespace) -> int:
    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    argv = argv or ["/bin/sh"]
    try:
        check_root()
        lab = Lab()
        state = lab.state()
        if state is None:
            raise LabError(f"lab {lab.names.prefix!r} is not up")
        if args.node == "master":
            prefix = ["ip", "netns", "exec", lab.names.master_ns]
        else:
            node = next((n for n in state.nodes if args.node in (str(n.index), n.hostname)), None)
            node = node or _deployed_as(lab, state, args.node)
            if node is None:
                raise LabError(f"no lab node {args.node!r} (give its number or hostname, or `master`)")
            init = lab.init_pid(node)
            if init is None:
                raise LabError(f"node {args.node} is not running")
            prefix = ["nsenter", "-t", str(init), "-a"]
    except LabError as exc:
        return _fail(exc)
    return subprocess.call([*prefix, *argv])


def _deployed_as(lab: Lab, state: LabState, name: str) -> LabNode | None:
    """The node a deploy renamed (`ctrl-1`): its hostname now, read in its own root."""
    for node in state.nodes:
        init = lab.init_pid(node)
        try:
            current = Path(f"/proc/{init}/root/etc/hostname").read_text().strip() if init else ""
        except OSError:
            continue
        if current == name:
            return node
    return None


def _down(args: argparse.Namespace) -> int:
    try:
        lab = Lab()
        lab.down()
    except LabError as exc:
        return _fail(exc)
    print(f"lab {lab.names.prefix!r} removed")
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        lab = Lab()
        if lab.state() is None:
            print(f"lab {lab.names.prefix!r} is not up")
            return 1
        return _print_status(lab)
    except LabError as exc:
        return _fail(exc)


def _print_status(lab: Lab) -> int:
    state = lab.state()
    if state is not None and state.master_pid is not None:
        alive = processes.alive(state.master_pid)
        where = lab.master_state_dir / "master.sock"
        print(f"master: {'running' if alive else 'DOWN'} (pid {state.master_pid}), socket {where}")
    elif state is not None and state.dhcp_pid is not None:
        print(f"master: none; DHCP only (dnsmasq pid {state.dhcp_pid})")
    rows = lab.status()
    print(f"{'NODE':<14} {'STATE':<6} {'ADMIN IP':<15} MACS (eth0..)")
    for row in rows:
        shown = "up" if row.alive else "DOWN"
        print(f"{row.hostname:<14} {shown:<6} {row.admin_ip or '-':<15} {' '.join(row.macs)}")
    vms = lab_vms.load(lab.names).vms
    for vm in vms:
        shown = "up" if lab_vms.alive(vm) else "DOWN"
        print(f"{'vm-' + str(vm.index):<14} {shown:<6} {'(PXE)':<15} {' '.join(vm.macs)}")
    if vms:
        print(f"VM serial consoles: {lab.names.log_dir}/vm<N>-serial.log")
    return 0 if all(r.alive for r in rows) and all(lab_vms.alive(v) for v in vms) else 1
