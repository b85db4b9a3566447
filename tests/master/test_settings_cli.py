"""`fueltui settings|rename|node show|envs` against a real master: values change through
--set, bad input is a clear refusal (never a traceback), and `envs` hands the cloud over."""

from __future__ import annotations

import asyncio
import json

from test_master_cli import run  # noqa: F401 - the CLI-against-a-real-master fixture

from fueltui.client.api import MasterClient
from fueltui.core.model import EnvStatus
from masterfixtures import RunningMaster
from tui.test_health import give_cloud, mirror, seed  # noqa: F401 - the cloud as a deploy leaves it


def _with_client(master: RunningMaster, work):
    async def go():
        async with await MasterClient.connect(master.base, autostart=False) as client:
            return await work(client)

    return asyncio.run(go())


def test_settings_show_set_and_refuse(run, master: RunningMaster) -> None:  # noqa: F811
    _with_client(master, lambda c: c.create_environment("demo"))
    code, out, err = run("settings", "demo")
    assert code == 0, err
    assert "Access" in out and "common.debug" in out and "storage.volumes_ceph" in out
    assert "Ceph is not in this release's payload" in out
    code, out, err = run("settings", "demo", "--set", "common.debug=yes", "--set", "access.email=o@x.org")
    assert code == 0, err
    code, out, _ = run("settings", "demo", "--json")
    data = json.loads(out)
    values = {f["key"]: f["value"] for g in data["groups"] for f in g["fields"]}
    assert values["common.debug"] is True and values["access.email"] == "o@x.org" and data["revision"] == 2
    for bad, words in (
        ("common.debug=maybe", "not yes/no"),
        ("common.syslog=host:99999", "1–65535"),
        ("nope=1", "not a setting"),
        ("common.debug", "KEY=VALUE"),
    ):
        code, out, err = run("settings", "demo", "--set", bad)
        assert code == 2 and words in err and "Traceback" not in out + err, (bad, err)
    assert _with_client(master, lambda c: c.environment("demo")).revision == 2  # nothing written
    code, out, err = run("settings", "demo", "--password")
    assert code == 0 and out.startswith("admin: ") and len(out.split()[1]) == 32
    master.state.store.set_environment_status("demo", EnvStatus.operational.value)
    code, out, err = run("settings", "demo", "--set", "access.user=ops")
    assert (
        code == 2 and "cannot change after the environment was deployed" in err and "[setting-locked]" in err
    )


def test_rename_and_node_show(run, master: RunningMaster) -> None:  # noqa: F811
    from test_master_settings import MACS, discover

    discover(master)
    _with_client(master, lambda c: c.create_environment("demo"))

    async def assign(client: MasterClient) -> None:
        node = await client.node(MACS[0])
        await client.update_node(
            MACS[0], node.revision, environment="demo", roles=["controller"], name="ctrl-1"
        )

    _with_client(master, assign)
    code, out, err = run("rename", "demo", "prod")
    assert code == 0 and "renamed demo to prod" in out, err
    code, out, err = run("rename", "demo", "other")
    assert code == 1 and "no environment 'demo'" in err and "Traceback" not in err
    code, out, err = run("node", "show", "ctrl-1")
    assert code == 0, err
    assert "Environment: prod" in out and "controller" in out
    assert "eth0" in out and "1000 Mb/s" in out and "virtio_net" in out and "link up" in out
    assert "management" in out and "History:" in out
    code, out, _ = run("node", "show", MACS[0], "--json")
    assert json.loads(out)["record"]["node"]["name"] == "ctrl-1"
    code, out, err = run("node", "show", "nobody")
    assert code == 1 and "no node named 'nobody'" in err


def test_envs_hands_the_cloud_over(run, master: RunningMaster, mirror) -> None:  # noqa: F811
    _with_client(master, lambda c: seed(c, master))
    code, out, _ = run("envs")
    assert code == 0 and "Horizon" not in out  # nothing deployed: nothing handed over
    give_cloud(master)
    code, out, _ = run("envs")
    access = _with_client(master, lambda c: c.cloud("lab"))
    assert f"lab: Horizon {access.horizon_url}  Keystone {access.keystone_url}" in out

    # Derived from the deployed state: another public range moves the address on the line.
    async def move_public(client: MasterClient) -> None:
        record = await client.environment("lab")
        env = record.environment.model_copy(deep=True)
        env.networks["public"].ip_ranges = [("172.16.0.50", "172.16.0.120")]
        await client.update_environment(record.model_copy(update={"environment": env}))

    _with_client(master, move_public)
    code, out, _ = run("envs")
    moved = _with_client(master, lambda c: c.cloud("lab"))
    assert moved.horizon_url != access.horizon_url and f"Horizon {moved.horizon_url}" in out
