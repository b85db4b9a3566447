"""A recorded environment to load into a real master: an answers file, the facts discovery
would have found, and scripted deploy/verify runs whose logs and results look like a lab's.

Used by the snapshot tests and by `scripts/screenshots.py`, so every screen can be seen and
checked without a lab. Deploy and verify need SSH to real nodes; their handlers are swapped
for scripted ones (and put back) so the master's task framework, logs and events stay real."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from dataclasses import dataclass, field

from fueltui.client.api import MasterClient
from fueltui.core.model import Cpu, Disk, Memory, Nic, NodeFacts, SystemInfo
from fueltui.core.verifyplan import Missing, VerifyPlan, build_plan
from fueltui.master.app import Master
from fueltui.master.store import Store
from fueltui.master.tasks import TaskContext, TaskManager

ANSWERS = """\
master:
  interface: eth0
  ip: 10.20.0.2
  netmask: 255.255.255.0
  gateway: 10.20.0.1
  dns: [10.20.0.1]
  hostname: fuel.example.com
  ntp: [pool.ntp.org]
  dhcp_pool: {start: 10.20.0.129, end: 10.20.0.254}
environment:
  name: lab
  mode: neutron-gre
nodes:
  - {mac: "52:54:00:aa:00:01", name: ctl-1, roles: [controller],
     interfaces: {eth0: [fuelweb_admin, management, storage, private], eth1: [public]}}
  - {mac: "52:54:00:aa:00:02", name: cmp-1, roles: [compute],
     interfaces: {eth0: [fuelweb_admin, management, storage, private]}}
  - {mac: "52:54:00:aa:00:03", name: cmp-2, roles: [compute],
     interfaces: {eth0: [fuelweb_admin, management, storage, private]}}
  - {mac: "52:54:00:aa:00:04", name: ops-1, roles: [base-os],
     interfaces: {eth0: [fuelweb_admin, management, storage, private]}}
"""

# (index, CPUs, RAM GiB, disks GiB); node 5 is discovered but not in the environment.
MACHINES = [
    (1, 8, 32, [200]),
    (2, 16, 64, [400]),
    (3, 16, 64, [400]),
    (4, 4, 16, [100, 2000, 2000]),
    (5, 4, 8, [50]),
]

# As the nodes wrote them in a real lab deploy (`bench/payload.py`, 2026-11-30): the
# controller's Keystone task, a compute's nova-compute task, a base-os node's packages task.
CONTROLLER_LINES = [
    "--- payload_keystone (script) started",
    "changed /etc/keystone/keystone.conf",
    "keystone-db: done",
    "keystone: started",
    "user nova created",
    "service nova created",
    "endpoint nova public http://172.16.0.2:8774/v2.1",
    "endpoint nova internal http://192.168.0.2:8774/v2.1",
    "--- payload_keystone: ok",
]
COMPUTE_LINES = [
    "--- payload_nova_compute (script) started",
    "changed /etc/nova/nova.conf",
    "dbus: started",
    "virtlogd: started",
    "libvirtd: started",
    "nova-compute: started",
    "hypervisor: QEMU (software emulation) on cmp-1",
    "--- payload_nova_compute: ok",
]
BASE_OS_LINES = ["--- payload_packages (script) started", "no OpenStack packages for this node",
                 "--- payload_packages: ok"]  # fmt: skip
# The failure, as the compute task says it when libvirt never answers.
FAILED_LINES = [
    "libvirtd does not answer",
    "--- payload_nova_compute: failed: payload_nova_compute exited with status 1",
]


def mac_of(index: int) -> str:
    return f"52:54:00:aa:00:{index:02x}"


def facts_of(index: int, cpus: int, ram: int, disks: list[int]) -> NodeFacts:
    return NodeFacts(
        nics=[
            Nic(name="eth0", mac=mac_of(index), pxe=True, state="up", speed_mbps=10000, driver="virtio_net"),
            Nic(
                name="eth1",
                mac=f"52:54:00:bb:00:{index:02x}",
                state="up",
                speed_mbps=10000,
                driver="virtio_net",
            ),
            Nic(
                name="eth2", mac=f"52:54:00:cc:00:{index:02x}", state="down", speed_mbps=1000, driver="e1000"
            ),
        ],
        cpu=Cpu(model="Intel Xeon Gold 6230", count=cpus),
        memory=Memory(total_bytes=ram << 30),
        disks=[Disk(name=f"vd{'abc'[i]}", size_bytes=size << 30) for i, size in enumerate(disks)],
        system=SystemInfo(manufacturer="QEMU", product="Standard PC (Q35)"),
        os="Ubuntu 24.04 LTS",
        hostname=f"bootstrap-{index}",
    )


def discover_machines(store: Store) -> None:
    for index, cpus, ram, disks in MACHINES:
        store.upsert_discovered(mac_of(index), f"10.20.0.{128 + index}", facts_of(index, cpus, ram, disks))


@dataclass
class Script:
    """What the scripted handlers do: lines to log (fed by the caller), a result to return."""

    lines: queue.Queue[tuple[str | None, str] | None] = field(default_factory=queue.Queue)
    result: dict[str, object] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)  # MACs that end in error

    def say(self, mac: str | None, line: str) -> None:
        self.lines.put((mac, line))

    def finish(self) -> None:
        self.lines.put(None)


def install_scripted_handlers(
    tasks: TaskManager, script: Script, kinds: tuple[str, ...] = ("deploy", "verify")
) -> Callable[[], None]:
    """Swap the handlers of `kinds` on this master's task manager for scripted ones; returns the
    function that restores them."""

    async def handler(ctx: TaskContext) -> dict[str, object]:
        script.started.append(ctx.task_id)
        macs = [r.node.mac for r in ctx.store.nodes(ctx.env_name)]
        for mac in macs:
            await ctx.set_node(mac, status="running", progress=10, task="hello")
            await ctx.log(mac, "--- node_config (upload_file) started")  # the engine's first line
        while not ctx.stop_requested.is_set():
            try:
                item = script.lines.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.02)  # polling interval for the caller's queue
                continue
            if item is None:
                break
            who, line = item
            await ctx.log(who, line)
            if who is not None:
                await ctx.set_node(who, status="running", progress=50, task=line.split(":")[0])
        for mac in macs:
            if mac in script.fail:
                await ctx.set_node(
                    mac,
                    status="error",
                    progress=80,
                    task="payload_nova_compute",
                    message="payload_nova_compute: payload_nova_compute exited with status 1",
                )
            else:
                await ctx.set_node(mac, status="done", progress=100, task="finished")
        await ctx.set_progress(100, str(script.result.get("summary", "finished")))
        # What the kind declares (fueltui.api.tasks): a deploy's result has no summary.
        return {k: v for k, v in script.result.items() if k != "summary" or ctx.kind == "verify"}

    saved = {kind: tasks.handler(kind) for kind in kinds}
    for kind in kinds:
        tasks.register(kind, handler)

    def restore() -> None:
        for kind, original in saved.items():
            if original is None:
                tasks.unregister(kind)
            else:
                tasks.register(kind, original)

    return restore


async def _wait_finished(client: MasterClient, task_id: str) -> None:
    for _ in range(500):
        if (await client.task(task_id)).status.finished:
            return
        await asyncio.sleep(0.02)  # polling interval: the task runs in the master's thread
    raise TimeoutError(f"task {task_id} did not finish")


def heard_everyone_but(plan: VerifyPlan, deaf: str, network: str, vlan: int) -> dict[str, object]:
    """What each NIC heard (the task's `heard`) when one node's NIC is cut from one network:
    it hears nobody there and nobody hears it."""
    carriers: dict[tuple[str, int], list[str]] = {}
    for node in plan.nodes:
        for nic in node.nics:
            for net, vlans in nic.networks.items():
                for v in vlans or [0]:
                    carriers.setdefault((net, v), []).append(f"{node.name}/{nic.nic}")
    heard: dict[str, dict[str, dict[str, list[str]]]] = {}
    for node in plan.nodes:
        for nic in node.nics:
            per_vlan = heard.setdefault(node.name, {}).setdefault(nic.nic, {})
            for net, vlans in nic.networks.items():
                for v in vlans or [0]:
                    cut = (net, v) == (network, vlan)
                    peers = [p for p in carriers[(net, v)] if not p.startswith(f"{node.name}/")]
                    if cut:
                        peers = (
                            [] if node.name == deaf else [p for p in peers if not p.startswith(f"{deaf}/")]
                        )
                    per_vlan.setdefault(str(v), []).extend(peers)
    return heard  # type: ignore[return-value]


async def load_recorded(client: MasterClient, master: Master) -> None:
    """Fill an empty master with the recorded environment, one verification and one deploy."""
    discover_machines(master.store)
    result = await client.apply(ANSWERS, source="recorded.yaml")
    if any(f.severity == "error" for f in result.findings):
        raise RuntimeError(f"the recorded answers have errors: {result.findings}")
    script = Script()
    restore = install_scripted_handlers(master.tasks, script)
    try:
        env = (await client.environment("lab")).environment
        nodes = [r.node for r in await client.nodes()]
        from fueltui.core.releases import default_release

        plan = build_plan(env, default_release(), nodes)
        gap = Missing(
            node="cmp-2",
            node_mac=mac_of(3),
            nic="eth0",
            mac=mac_of(3),
            network="storage",
            vlan=102,
            missing=["ctl-1", "cmp-1", "ops-1"],
        )
        script.result = {
            "ok": False,
            "summary": "1 NIC/network pair missed peers",
            "plan": plan.model_dump(),
            "missing": [gap.model_dump()],
            "heard": heard_everyone_but(plan, "cmp-2", "storage", 102),
            "dhcp": [],
            "dhcp_error": None,
            "skipped": {},
            "errors": {},
        }
        verify = await client.verify("lab")
        script.finish()
        await _wait_finished(client, verify.id)
        script.result = {"summary": "3 of 4 nodes deployed"}
        script.fail = {mac_of(3)}
        deploy = await client.deploy("lab", skip_verify=True)
        lines = {1: CONTROLLER_LINES, 2: COMPUTE_LINES, 3: COMPUTE_LINES[:5] + FAILED_LINES, 4: BASE_OS_LINES}
        for index, node_lines in lines.items():
            for line in node_lines:
                script.say(mac_of(index), line)
        script.finish()
        await _wait_finished(client, deploy.id)
    finally:
        restore()


# --------------------------------------------------------------------------- what to show


@dataclass(frozen=True)
class Shot:
    """One picture: the page, when its data is there, what to do before, keys to press."""

    page: str
    ready: Callable[[object], object]
    before: Callable[[object], object] | None = None
    press: tuple[str, ...] = ()


def _releases_loaded(app: object) -> bool:
    """The wizard's release list has the master's releases (not its "(loading)" placeholder)."""
    value = app.screen.query_one("#wiz-release").value  # type: ignore[attr-defined]
    return isinstance(value, str) and bool(value)


def _rows(selector: str, count: int) -> Callable[[object], bool]:
    def check(app: object) -> bool:
        from textual.widgets import DataTable

        return app.screen.query_one(selector, DataTable).row_count >= count  # type: ignore[attr-defined]

    return check


def _cursor_on_blocked_role(app: object) -> None:
    from textual.widgets import DataTable

    screen = app.screen  # type: ignore[attr-defined]
    table = screen.query_one("#nodes-table", DataTable)
    table.focus()
    row = next(i for i, r in enumerate(screen.records) if "controller" in r.node.roles)
    table.move_cursor(row=row, column=screen.fixed_count + screen.roles.index("compute"))


def _show_failed_node_log(app: object) -> None:
    listing = app.screen.query_one("#log-sources")  # type: ignore[attr-defined]
    listing.focus()
    wanted = f"node:{mac_of(3)}"
    listing.highlighted = next(
        i for i in range(listing.option_count) if listing.get_option_at_index(i).id == wanted
    )


SHOTS: dict[str, Shot] = {
    "master": Shot("master", lambda app: True),
    "environments": Shot("environments", lambda app: _rows("#env-table", 1)(app) and _releases_loaded(app)),
    "networks": Shot("networks", lambda app: app.screen.paths),  # type: ignore[attr-defined]
    "nodes": Shot("nodes", _rows("#nodes-table", 5), _cursor_on_blocked_role),
    "interfaces": Shot("interfaces", lambda app: app.screen.targets, press=("enter", "right")),  # type: ignore[attr-defined]
    "verify": Shot("verify", _rows("#verify-table", 4)),
    "deploy": Shot("deploy", lambda app: app.screen.layout_kind in ("grid", "list")),  # type: ignore[attr-defined]
    "logs": Shot(
        "logs",
        lambda app: app.screen.query_one("#log-sources").option_count > 3,  # type: ignore[attr-defined]
        _show_failed_node_log,
        press=("_", "_"),
    ),
    "help": Shot("nodes", _rows("#nodes-table", 5), press=("question_mark",)),
    "settings": Shot("settings", lambda app: bool(app.screen.rows), press=("tab",)),  # type: ignore[attr-defined]
}
