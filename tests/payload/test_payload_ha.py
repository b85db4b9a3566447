"""HA with three controllers on a real lab: Galera, a RabbitMQ cluster, HAProxy with keepalived
VIPs — and the cloud keeps answering on its VIPs when the primary controller's services stop.

One module-scoped lab (3 controllers, 1 compute, Neutron GRE), in order: apply → verify →
deploy (cold) → the health check passed → Galera and RabbitMQ have three members → the
primary's HAProxy is stopped → keepalived's check sees it and the VIPs move to another
controller, a token comes from the public VIP (the lab master's namespace, as an operator) →
the primary's keepalived, MariaDB, RabbitMQ and memcached are stopped too → Nova and Neutron
answer through the management VIP from another controller.
Marked `payload`: it runs last, after tests/payload/test_payload_lab.py (`ORDER`).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from payloadlab import AUTH_BODY, deploy_answers, fueltui, os_lab

from fueltui.core.payload.ha import HAPROXY_CHECK
from labfixtures import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.payload, pytest.mark.ha, pytest.mark.timeout(2400)]
ORDER = 1  # after tests/payload/test_payload_lab.py (tests/conftest.py sorts by it)

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = ROOT / "docs" / "examples" / "answers-lab-openstack-ha.yaml"
CONTROLLERS = {"ctrl-1": 1, "ctrl-2": 2, "ctrl-3": 3}  # name -> lab node index (answers' MAC order)
STOP_ON_PRIMARY = ("keepalived", "mariadb", "rabbitmq-server", "memcached")  # after its HAProxy


TOKEN = (
    AUTH_BODY
    + """
try:
    r = httpx.post(c["OS_AUTH_URL"] + "/auth/tokens", json=body, timeout=10)
    print(r.status_code)
except httpx.HTTPError as exc:
    print("error", type(exc).__name__)
"""
)


def token_status(handle: LabHandle, creds: dict[str, str]) -> str:
    """A token from the public VIP, asked from the lab master's namespace (the operator's side)."""
    proc = subprocess.run(
        ["ip", "netns", "exec", handle.master_ns, sys.executable, "-c", TOKEN, json.dumps(creds)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


def on(handle: LabHandle, name: str, command: str, check: bool = True) -> str:
    return handle.lab.node_exec(CONTROLLERS[name], ["sh", "-c", command], check=check)


def vip_holders(handle: LabHandle, vip: str) -> list[str]:
    return [
        name for name in CONTROLLERS if on(handle, name, f"ip -4 -o addr show to {shlex.quote(vip)}").strip()
    ]


@pytest.fixture(scope="module")
def ha_lab() -> Iterator[LabHandle]:
    yield from os_lab(4)


@pytest.fixture(scope="module")
def deployed(ha_lab: LabHandle) -> dict[str, object]:
    task = deploy_answers(ha_lab, ANSWERS)
    sys.stdout.write(f"\nHA cold deploy (3 controllers, 1 compute): {task['wall_seconds']:.0f} s\n")
    return task


@pytest.fixture(scope="module")
def creds(ha_lab: LabHandle, deployed: object) -> dict[str, str]:
    openrc = fueltui(ha_lab, "openrc", "demo")
    found = dict(re.findall(r"^export (OS_[A-Z_]+)=(.*)$", openrc, re.M))
    return {k: shlex.split(v)[0] for k, v in found.items()}


def test_three_controllers_deploy_and_pass_the_health_check(
    ha_lab: LabHandle, deployed: dict[str, object]
) -> None:
    result = deployed["result"]
    assert isinstance(result, dict)
    health = result["cloud_health"]
    assert health["ok"] and health["failed"] == 0, health
    names = {t["id"]: t["status"] for t in health["tests"]}
    for required in (
        "keystone",
        "endpoints",
        "compute-services",
        "network-agents",
        "boot-comp-1",
        "floating-ip",
    ):
        assert names[required] == "passed", (required, names)


def test_galera_and_rabbitmq_have_every_controller(ha_lab: LabHandle, deployed: object) -> None:
    for name in CONTROLLERS:
        size = on(ha_lab, name, "mariadb -N -B -e \"SHOW STATUS LIKE 'wsrep_cluster_size'\"").split()
        assert size == ["wsrep_cluster_size", "3"], (name, size)
    status = json.loads(on(ha_lab, "ctrl-3", "rabbitmqctl -q cluster_status --formatter json"))
    assert sorted(status["running_nodes"]) == ["rabbit@ctrl-1", "rabbit@ctrl-2", "rabbit@ctrl-3"]


def test_the_cloud_answers_on_its_vips_when_the_primarys_services_stop(
    ha_lab: LabHandle, creds: dict[str, str]
) -> None:
    public_vip = creds["OS_AUTH_URL"].split("//")[1].split(":")[0]
    clouds = on(ha_lab, "ctrl-2", "cat /etc/openstack/clouds.yaml")
    mgmt_vip = re.search(r"auth_url: http://([\d.]+):5000", clouds).group(1)  # type: ignore[union-attr]
    assert vip_holders(ha_lab, public_vip) == ["ctrl-1"] and vip_holders(ha_lab, mgmt_vip) == ["ctrl-1"]
    assert token_status(ha_lab, creds) == "201"

    # Its HAProxy dies first, keepalived still running: keepalived's check must see it, even
    # when Neutron's metadata proxies (haproxy too) run on ctrl-1 because it hosts a router.
    proxies = on(ha_lab, "ctrl-1", "pgrep -x haproxy | wc -l").strip()
    stopped = time.monotonic()
    on(ha_lab, "ctrl-1", "/etc/init.d/haproxy stop >/dev/null 2>&1 || true")
    assert on(ha_lab, "ctrl-1", f"{HAPROXY_CHECK} && echo up || echo down").strip() == "down"
    # The VIPs move (keepalived's VRRP), then the APIs answer through the other HAProxy.
    deadline = time.monotonic() + 120
    while True:
        moved = vip_holders(ha_lab, public_vip), vip_holders(ha_lab, mgmt_vip)
        status = token_status(ha_lab, creds) if moved[0] and "ctrl-1" not in moved[0] else "vip"
        if status == "201":
            break
        assert time.monotonic() < deadline, (moved, status)
        time.sleep(1)  # polling interval: until the VIP answers again
    failover = time.monotonic() - stopped
    holders = vip_holders(ha_lab, public_vip)
    assert len(holders) == 1 and holders[0] in ("ctrl-2", "ctrl-3")
    assert vip_holders(ha_lab, mgmt_vip) == holders
    # Then the rest of the primary: its database, queue and cache.
    for service in STOP_ON_PRIMARY:
        on(ha_lab, "ctrl-1", f"/etc/init.d/{service} stop >/dev/null 2>&1 || true")
    # Another controller asks Nova and Neutron through the management VIP (its clouds.yaml).
    deadline = time.monotonic() + 180
    while True:
        listed = on(
            ha_lab,
            "ctrl-3",
            "openstack --os-cloud fueltui-admin network list -f value -c Name "
            "&& openstack --os-cloud fueltui-admin compute service list -f value -c Binary",
            check=False,
        )
        if "admin_floating_net" in listed and "nova-conductor" in listed:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(2)  # polling interval: services reconnect to the remaining database and queue
    total = time.monotonic() - stopped
    sys.stdout.write(
        f"\nHA failover (haproxy processes on ctrl-1 before: {proxies}): VIP answers after"
        f" {failover:.1f} s, Nova and Neutron after {total:.1f} s\n"
    )
