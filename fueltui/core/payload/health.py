"""Fuel's Health Check (OSTF), the sanity and smoke tests, run on the primary controller.

The master renders `health.sh` (a spec and a Python program using the controller's own
openstacksdk); each test prints one line `FUELTUI-OSTF {json}` with its id, name, group,
status (passed/failed/skipped), duration and message, which the master collects
(`parse_ostf_line`). Smoke tests create what they need under names starting with
`fueltui-health-` and delete it all afterwards, whether they passed or not.
"""

from __future__ import annotations

import json

from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.shell import heredoc_file, script

OSTF_MARK = "FUELTUI-OSTF "
HEALTH_CIDR = "10.254.254.0/28"  # the smoke test's tenant subnet: small, so the guests scan it fast

HEALTH_PY = r'''#!/usr/bin/python3
"""fueltui health check: sanity, then smoke (everything it creates is deleted)."""
import json
import subprocess
import sys
import time
import urllib.request

import openstack

spec = json.load(open(sys.argv[1]))
groups = set(spec["groups"])
conn = openstack.connect(cloud="fueltui-admin")
results = []


def report(tid, name, group, status, started, message=""):
    line = {"id": tid, "name": name, "group": group, "status": status,
            "duration": round(time.monotonic() - started, 1), "message": message[:400]}
    results.append(line)
    print("FUELTUI-OSTF " + json.dumps(line), flush=True)


def test(tid, name, group):
    def wrap(fn):
        started = time.monotonic()
        if group not in groups:
            return None
        try:
            message = fn() or ""
        except Exception as exc:  # every failure is a test's result, never a traceback
            report(tid, name, group, "failed", started, f"{type(exc).__name__}: {exc}")
            return False
        report(tid, name, group, "passed", started, message)
        return True
    return wrap


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait(what, check, timeout, interval=2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} after {timeout} s")
        time.sleep(interval)


@test("keystone", "Keystone issues a token on the public endpoint", "sanity")
def _():
    public = openstack.connect(cloud="fueltui-admin", auth_url=spec["keystone_public"])
    public.authorize()
    return spec["keystone_public"]


@test("endpoints", "Every endpoint in the catalog answers", "sanity")
def _():
    bad, count = [], 0
    for endpoint in conn.identity.endpoints():
        count += 1
        status = http_status(endpoint.url.replace("%(tenant_id)s", "x").replace("$(project_id)s", "x"))
        if status >= 500:
            bad.append(f"{endpoint.url} ({status})")
    if bad:
        raise RuntimeError("not answering: " + ", ".join(bad))
    return f"{count} endpoints"


@test("compute-services", "Nova services are up", "sanity")
def _():
    services = list(conn.compute.services())
    down = [f"{s.binary} on {s.host}" for s in services if s.state != "up" or s.status != "enabled"]
    if down:
        raise RuntimeError("down: " + ", ".join(down))
    return f"{len(services)} services up"


@test("network-agents", "Neutron agents are alive", "sanity")
def _():
    agents = list(conn.network.agents())
    dead = [f"{a.agent_type} on {a.host}" for a in agents if not a.is_alive]
    if dead:
        raise RuntimeError("not alive: " + ", ".join(dead))
    return f"{len(agents)} agents alive"


@test("hypervisors", "Every compute is a hypervisor", "sanity")
def _():
    names = {h.name.split(".")[0] for h in conn.compute.hypervisors()}
    missing = sorted(set(spec["computes"]) - names)
    if missing:
        raise RuntimeError("not hypervisors: " + ", ".join(missing))
    return ", ".join(sorted(names))


@test("horizon", "Horizon's login page answers on the public VIP", "sanity")
def _():
    status = http_status(spec["horizon"] + "auth/login/")
    if status != 200:
        raise RuntimeError(f"HTTP {status}")
    return spec["horizon"]


tag = "fueltui-health-" + str(int(time.time()))
made = {"servers": [], "fips": []}
state = {}

try:
    @test("network", "Create a network, subnet and router", "smoke")
    def _():
        ext = conn.network.find_network("admin_floating_net")
        if ext is None:
            raise RuntimeError("no external network admin_floating_net")
        made["network"] = net = conn.network.create_network(name=tag)
        made["subnet"] = sub = conn.network.create_subnet(network_id=net.id, name=tag, ip_version=4,
                                                          cidr=spec["cidr"], dns_nameservers=[])
        made["router"] = router = conn.network.create_router(name=tag,
                                                             external_gateway_info={"network_id": ext.id})
        conn.network.add_interface_to_router(router, subnet_id=sub.id)
        made["sg"] = sg = conn.network.create_security_group(name=tag)
        for proto in ("icmp", "tcp"):
            conn.network.create_security_group_rule(security_group_id=sg.id, direction="ingress",
                                                    protocol=proto, ethertype="IPv4")
        state["ext"] = ext
        return f"{net.name}: {spec['cidr']} via router to {ext.name}"

    @test("image", "Upload the master's test image", "smoke")
    def _():
        kernel = urllib.request.urlopen(spec["kernel_url"], timeout=60).read()
        initrd = urllib.request.urlopen(spec["initrd_url"], timeout=60).read()
        made["kernel"] = k = conn.image.create_image(name=tag + "-kernel", data=kernel, disk_format="aki",
                                                     container_format="aki", allow_duplicates=True)
        made["initrd"] = r = conn.image.create_image(name=tag + "-initrd", data=initrd, disk_format="ari",
                                                     container_format="ari", allow_duplicates=True)
        made["image"] = img = conn.image.create_image(name=tag, data=b"\0" * 1048576, disk_format="raw",
                                                      container_format="bare", allow_duplicates=True,
                                                      kernel_id=k.id, ramdisk_id=r.id,
                                                      os_command_line="console=ttyS0 quiet")
        wait("image active", lambda: conn.image.get_image(img.id).status == "active", 60)
        return f"{len(kernel) + len(initrd)} bytes, active"

    for host in spec["computes"]:
        @test(f"boot-{host}", f"Boot an instance on {host}", "smoke")
        def _(host=host):
            if "image" not in made or "network" not in made:
                raise RuntimeError("no image or network (an earlier smoke test failed)")
            server = conn.compute.create_server(
                name=f"{tag}-{host}", image_id=made["image"].id,
                flavor_id=conn.compute.find_flavor("m1.micro").id,
                networks=[{"uuid": made["network"].id}], availability_zone=f"nova:{host}",
                security_groups=[{"name": tag}])
            made["servers"].append(server)
            server = conn.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], wait=300)
            addr = [a["addr"] for nets in server.addresses.values() for a in nets][0]
            state.setdefault("addrs", {})[server.id] = addr
            return f"ACTIVE on {server.compute_host or host}, {addr}"

    @test("tenant-network", "Instances reach each other over the tenant network", "smoke")
    def _():
        servers = [s for s in made["servers"] if s.id in state.get("addrs", {})]
        if len(servers) < 2:
            raise RuntimeError("fewer than two instances are running")
        addrs = state["addrs"]

        def heard():
            missing = []
            for server in servers:
                log = conn.compute.get_server_console_output(server)["output"]
                for other in servers:
                    if other.id != server.id and f"reach {addrs[other.id]}" not in log:
                        missing.append(f"{addrs[server.id]} -> {addrs[other.id]}")
            state["missing"] = missing
            return not missing
        try:
            wait("instances reaching each other", heard, 300, 5)
        except TimeoutError as exc:
            raise RuntimeError(f"{exc}; not reached: {', '.join(state['missing'])}") from None
        return f"{len(servers)} instances, every pair reached"

    @test("floating-ip", "A floating IP answers from the controller", "smoke")
    def _():
        servers = [s for s in made["servers"] if s.id in state.get("addrs", {})]
        if not servers:
            raise RuntimeError("no running instance")
        port = next(iter(conn.network.ports(device_id=servers[0].id)))
        fip = conn.network.create_ip(floating_network_id=state["ext"].id, port_id=port.id)
        made["fips"].append(fip)
        address = fip.floating_ip_address
        wait(f"ping {address}", lambda: subprocess.run(["ping", "-c", "1", "-W", "2", address],
                                                       capture_output=True).returncode == 0, 120, 1)
        return f"{address} -> {state['addrs'][servers[0].id]}"
finally:
    started = time.monotonic()
    problems = []

    def attempt(what, fn):
        try:
            fn()
        except Exception as exc:
            problems.append(f"{what}: {exc}")

    for fip in made["fips"]:
        attempt("floating IP", lambda fip=fip: conn.network.delete_ip(fip))
    for server in made["servers"]:
        attempt("instance", lambda s=server: conn.compute.delete_server(s))
    for server in made["servers"]:
        attempt("instance", lambda s=server: conn.compute.wait_for_delete(s, wait=120))
    if "router" in made:
        attempt("router interface", lambda: conn.network.remove_interface_from_router(
            made["router"], subnet_id=made["subnet"].id))
        attempt("router", lambda: conn.network.delete_router(made["router"]))
    for key, delete in (("network", conn.network.delete_network), ("sg", conn.network.delete_security_group),
                        ("image", conn.image.delete_image), ("kernel", conn.image.delete_image),
                        ("initrd", conn.image.delete_image)):
        if key in made:
            attempt(key, lambda key=key, delete=delete: delete(made[key]))
    if "smoke" in groups:
        status = "failed" if problems else "passed"
        report("cleanup", "Delete everything the smoke tests made", "smoke", status, started, "; ".join(problems))

sys.exit(0 if all(r["status"] == "passed" for r in results) else 1)
'''


def render_health(view: NodeView, groups: list[str]) -> str:
    data = view.data
    spec = {
        "groups": groups,
        "computes": sorted(p.name for p in view.cfg.peers if "compute" in p.roles),
        "keystone_public": data.keystone_public,
        "horizon": data.horizon_url,
        "cidr": HEALTH_CIDR,
        "kernel_url": f"{data.health_image_url}/fueltui-health.vmlinuz",
        "initrd_url": f"{data.health_image_url}/fueltui-health.initrd",
    }
    return script(
        "health",
        [
            heredoc_file("/etc/fueltui/payload/health.py", "0700", "root:root", HEALTH_PY),
            heredoc_file("/etc/fueltui/payload/health.json", "0600", "root:root", json.dumps(spec) + "\n"),
            "python3 /etc/fueltui/payload/health.py /etc/fueltui/payload/health.json",
        ],
    )


def parse_ostf_line(line: str) -> dict[str, object] | None:
    """One test's result from the script's output, or None for any other line."""
    if not line.startswith(OSTF_MARK):
        return None
    try:
        value = json.loads(line[len(OSTF_MARK) :])
    except ValueError:
        return None
    if not isinstance(value, dict) or not {"id", "name", "group", "status"} <= value.keys():
        return None
    return {
        "id": str(value["id"]),
        "name": str(value["name"]),
        "group": str(value["group"]),
        "status": str(value["status"]) if value["status"] in ("passed", "failed", "skipped") else "failed",
        "duration": float(value.get("duration") or 0),
        "message": str(value.get("message") or "")[:400],
    }
