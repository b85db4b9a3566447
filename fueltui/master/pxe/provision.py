"""Provisioning: a node running the bootstrap gets the release's OS written to its disks,
its boot flipped to the local disk, and a reboot into that OS under a host key the master
made and pinned beforehand — so the key change on reboot is expected, not a refusal.

Task kind `provision` (params {"node": MAC}). The image is the release's OS root from
`fueltui mirror sync`, packed once as `<mirror>/images/<os>.tar.zst` and pulled by the node
over the master's file server (plain HTTP streams faster into an emulated guest than SSH)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import logging
import subprocess
import tarfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING

from fueltui.core.disks import check_allocation, node_allocation, partition_plan, volume_defaults
from fueltui.core.model import NodeStatus, Severity
from fueltui.core.payload.data import HTTP_PORT
from fueltui.core.releases import default_release, get_release
from fueltui.master.pxe import osfiles
from fueltui.master.pxe.boottree import BootTree
from fueltui.master.store import Store
from fueltui.mirror.paths import image_dir, image_ready, mirror_root
from fueltui.ssh.asyncssh_import import asyncssh
from fueltui.ssh.fanout import Fanout, FanoutError
from fueltui.ssh.keys import public_key_text

if TYPE_CHECKING:
    from fueltui.master.tasks import TaskManager

log = logging.getLogger(__name__)
KIND = "provision"
INSTALL_TIMEOUT = 1800.0
Log = Callable[[str], Coroutine[object, object, None]]


class ProvisionError(RuntimeError):
    pass


def image_tarball(os_name: str) -> Path:
    """The OS root packed for nodes to pull; repacked when the image was rebuilt since."""
    root = image_dir(os_name)
    if not image_ready(os_name):
        raise ProvisionError(f"no OS image {os_name} yet: run `fueltui mirror sync` on the master")
    out = mirror_root() / "images" / f"{os_name}.tar.zst"
    marker = root / "etc" / "fueltui-image"
    if out.exists() and out.stat().st_mtime >= marker.stat().st_mtime:
        return out
    tmp = out.with_name(f".{out.name}.tmp")
    tar = subprocess.Popen(
        ["tar", "-C", str(root), "--numeric-owner", "--xattrs", "-cf", "-", "."], stdout=subprocess.PIPE
    )
    with open(tmp, "wb") as dest:
        zstd = subprocess.run(["zstd", "-q", "-3", "-T0", "-c"], stdin=tar.stdout, stdout=dest, check=False)
    if tar.wait() != 0 or zstd.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ProvisionError(f"cannot pack the OS image {os_name}")
    tmp.chmod(0o644)
    tmp.replace(out)
    return out


def _payload(files: dict[str, tuple[bytes, int]]) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in sorted(files):
            data, mode = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buf.getvalue()).decode()


def _boot_files(os_root: Path) -> tuple[str, str]:
    kernels = sorted(p.name for p in (os_root / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise ProvisionError(f"the OS image {os_root} has no kernel in /boot")
    kernel = kernels[-1]
    initrd = "initrd.img-" + kernel.removeprefix("vmlinuz-")
    if not (os_root / "boot" / initrd).exists():
        raise ProvisionError(f"the OS image has no {initrd}")
    return kernel, initrd


async def provision_node(fanout: Fanout, store: Store, state_dir: Path, mac: str, say: Log) -> None:
    record = store.node(mac)
    node = record.node
    if not node.ip:
        raise ProvisionError(f"node {mac} has no address")
    env_release = None
    extra_args = ""  # the Settings page's kernel parameters, on the first boot already
    if node.environment:
        env = store.environment(node.environment).environment
        env_release = get_release(env.release)
        extra_args = env.settings.common.kernel_params
    release = env_release or default_release()
    if release.os is None:
        raise ProvisionError(f"release {release.id} names no OS image")
    defaults = volume_defaults(release.id)
    if defaults is None:
        raise ProvisionError(f"release {release.id} has no disk defaults")
    allocation = node_allocation(node, defaults)  # the operator's, else the role defaults
    errors = [f for f in check_allocation(node, allocation, defaults) if f.severity == Severity.error]
    if errors:
        raise ProvisionError("; ".join(f.message for f in errors))
    plans = partition_plan(node.facts.disks, allocation, defaults)
    vols = osfiles.volumes(plans, node.mac)
    boot = store.boot_options().options
    if boot is None:
        raise ProvisionError("the master has no boot options (admin address)")
    await say(f"packing the OS image {release.os.name} (once)")
    await asyncio.to_thread(image_tarball, release.os.name)
    kernel, initrd = _boot_files(image_dir(release.os.name))
    host_key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{node.name}")
    host_pub = host_key.export_public_key("openssh").decode().strip()
    root_uuid = next(v.uuid for v in vols if v.mount == "/")
    admin = node.pxe_nic
    files: dict[str, tuple[bytes, int]] = {
        "install.sh": (
            osfiles.install_script(plans, vols, _image_url(boot.ip, release.os.name), kernel).encode(),
            0o755,
        ),
        **{name: (text.encode(), 0o644) for name, text in osfiles.sfdisk_inputs(plans).items()},
        "files/etc/hostname": (f"{node.name}\n".encode(), 0o644),
        "files/etc/hosts": (f"127.0.0.1 localhost\n127.0.1.1 {node.name}\n".encode(), 0o644),
        "files/etc/fstab": (osfiles.fstab(vols).encode(), 0o644),
        "files/etc/systemd/network/10-admin.network": (
            osfiles.networkd_config(admin.mac if admin else node.mac).encode(),
            0o644,
        ),
        "files/etc/ssh/ssh_host_ed25519_key": (host_key.export_private_key("openssh"), 0o600),
        "files/etc/ssh/ssh_host_ed25519_key.pub": ((host_pub + "\n").encode(), 0o644),
        "files/root/.ssh/authorized_keys": ((public_key_text(state_dir) + "\n").encode(), 0o600),
        "files/boot/grub/grub.cfg": (osfiles.grub_cfg(kernel, initrd, root_uuid, extra_args).encode(), 0o644),
        "files/etc/fueltui-provisioned": (f"{release.id}\n".encode(), 0o644),
    }
    store.set_node_status(mac, NodeStatus.provisioning.value)
    ship = "rm -rf /tmp/fueltui && mkdir -p /tmp/fueltui && base64 -d | tar -xz -C /tmp/fueltui"
    shipped = await fanout.run(node.ip, ["sh", "-c", ship], input=_payload(files), timeout=120)
    if shipped.exit_status != 0:
        raise ProvisionError(f"cannot ship the provisioning files: {shipped.stderr.strip()[-300:]}")
    await say(f"partitioning {', '.join(p.disk for p in plans)} and writing {release.os.name}")

    pending: set[asyncio.Task[None]] = set()

    def line(stream: str, text: str) -> None:
        task = asyncio.get_running_loop().create_task(say(text))
        pending.add(task)  # held until written: the loop keeps only weak references
        task.add_done_callback(pending.discard)

    result = await fanout.run(
        node.ip, ["sh", "/tmp/fueltui/install.sh"], on_line=line, timeout=INSTALL_TIMEOUT
    )
    await asyncio.gather(*pending)
    if result.exit_status != 0 or "provisioned" not in result.stdout:
        raise ProvisionError(f"installing failed ({result.exit_status}): {result.stderr.strip()[-500:]}")
    updated = store.set_node_status(mac, NodeStatus.provisioned.value)
    BootTree(state_dir, boot.ip).set_node(updated.node)
    await say("rebooting into the installed OS")
    # Reset at once (the disks are synced): from here on the bootstrap answers no one, so no
    # poll can meet its old key after the new one is pinned below.
    reset = "echo b > /proc/sysrq-trigger"
    with contextlib.suppress(FanoutError):
        await fanout.run(node.ip, ["sh", "-c", reset], timeout=10)
    await fanout.disconnect(node.ip)
    # The OS comes back at the same address (DHCP by MAC) with the key made above: pinned
    # for the address and the node now, the change on reboot is expected, not a refusal.
    fanout.host_keys.pin(node.ip, host_pub)
    fanout.host_keys.pin(f"node:{node.mac}", host_pub)


def _image_url(master_ip: str, os_name: str) -> str:
    return f"http://{master_ip}:{HTTP_PORT}/mirror/images/{os_name}.tar.zst"


async def _provision_task(ctx: object) -> dict[str, object]:
    from fueltui.master.tasks import TaskContext, TaskFailed
    from fueltui.ssh.fanout import shared_fanout

    assert isinstance(ctx, TaskContext)
    mac = str(ctx.params.get("node") or "").strip().lower()
    fanout = shared_fanout(ctx.state_dir)

    async def say(text: str) -> None:
        await ctx.log(mac, text)

    try:
        await provision_node(fanout, ctx.store, ctx.state_dir, mac, say)
    except Exception as exc:
        log.exception("provisioning %s failed", mac)
        with contextlib.suppress(Exception):
            ctx.store.set_node_status(mac, NodeStatus.error.value, str(exc)[:500])
        raise TaskFailed(f"provisioning {mac}: {exc}") from exc
    return {"provisioned": mac}


def register(tasks: TaskManager) -> None:
    from fueltui.api.tasks import PROVISION

    tasks.register(PROVISION, _provision_task)
