"""The bootstrap builder's parts that need no download: the archive writer, ELF reading,
apt source selection, module ordering, and the disk facts the image reports."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from fueltui.bootstrap.aptfetch import Source, host_sources
from fueltui.bootstrap.cpio import Tree, write_newc
from fueltui.bootstrap.elf import ElfError, needed_libraries
from fueltui.bootstrap.kmods import Kernel, KernelError, modules_alias, modules_dep
from fueltui.master.discovery.facts import parse_facts

B = "fueltui-0123456789abcdef"


def _tree() -> Tree:
    tree = Tree()
    tree.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    tree.file("init", "#!/bin/sh\n", 0o755)
    tree.symlink("bin/sh", "/bin/busybox")
    tree.dir("root/.ssh", 0o700)
    tree.chardev("dev/console", 5, 1)
    return tree


def test_initramfs_archive_is_reproducible_and_readable_by_cpio(tmp_path: Path) -> None:
    first, second = io.BytesIO(), io.BytesIO()
    write_newc(_tree(), first)
    write_newc(_tree(), second)
    assert first.getvalue() == second.getvalue()
    assert len(first.getvalue()) % 4 == 0
    cpio = shutil.which("cpio")
    assert cpio is not None, "cpio is needed to check the archive (apt-get install cpio)"
    listing = subprocess.run(
        [cpio, "-itv", "--quiet"], input=first.getvalue(), capture_output=True, check=True
    ).stdout.decode()
    names = [line.split()[-1] if "->" not in line else line.split()[-3] for line in listing.splitlines()]
    assert names == sorted(
        ["etc", "etc/passwd", "init", "bin", "bin/sh", "root", "root/.ssh", "dev", "dev/console"]
    )
    by_name = {n: line for n, line in zip(names, listing.splitlines(), strict=True)}
    assert by_name["root/.ssh"].startswith("drwx------") and by_name["init"].startswith("-rwxr-xr-x")
    assert by_name["dev/console"].startswith("crw-------") and "/bin/busybox" in by_name["bin/sh"]
    assert all(" root " in line for line in listing.splitlines())


def test_a_file_cannot_stand_where_a_directory_is_needed() -> None:
    tree = Tree()
    tree.file("etc", "x")
    with pytest.raises(ValueError, match="not a directory"):
        tree.file("etc/passwd", "y")


def test_elf_needed_libraries_of_a_real_binary() -> None:
    data = Path("/bin/ls").resolve().read_bytes()
    assert "libc.so.6" in needed_libraries(data)
    with pytest.raises(ElfError):
        needed_libraries(b"#!/bin/sh\necho not elf\n")


def test_host_sources_pick_the_suite_only(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "deb http://archive.example/debian trixie main contrib\n"
        "deb [signed-by=/k.gpg] http://archive.example/debian trixie-updates main\n"
        "# deb http://commented.example/debian trixie main\n"
    )
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie trixie-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/x.gpg\n\n"
        "Types: deb\nURIs: http://third.example/apt\nSuites: nodistro\nComponents: main\n"
    )
    found = host_sources("trixie", tmp_path)
    assert [(s.uri, s.suite, s.components) for s in found] == [
        ("http://archive.example/debian", "trixie", ("main", "contrib")),
        ("http://mirror.example/debian", "trixie", ("main",)),
    ]
    assert found[1].signed_by == "/usr/share/keyrings/x.gpg"
    assert (
        Source("http://m", "trixie", ("main",), "/k.gpg").line()
        == "deb [signed-by=/k.gpg] http://m trixie main"
    )


def _kernel() -> Kernel:
    depends = {
        "ext4": ["jbd2", "mbcache", "crc16"],
        "jbd2": [],
        "mbcache": [],
        "crc16": [],
        "net": ["wifi"],
        "wifi": [],
    }
    paths = {m: f"kernel/{m}.ko" for m in ("ext4", "jbd2", "mbcache", "crc16", "net")}
    aliases = {"net": ["pci:v00001AF4d00001000sv*sd*bc*sc*i*"]}
    return Kernel(Path("/nonexistent"), "6.1.0-test", depends, paths, frozenset({"crc16"}), aliases)


def test_module_closure_loads_dependencies_first() -> None:
    order, missing = _kernel().closure(("ext4", "nosuch"))
    assert order == ["jbd2", "mbcache", "ext4"]  # crc16 is built in
    assert missing == ["nosuch"]
    with pytest.raises(KernelError, match="wifi"):
        _kernel().closure(("net",))


def test_modules_dep_lists_everything_needed_last_loaded_first() -> None:
    text = modules_dep(_kernel(), ["ext4", "jbd2", "mbcache"])
    assert "kernel/ext4.ko: kernel/mbcache.ko kernel/jbd2.ko\n" in text
    assert "alias pci:v00001AF4d00001000sv*sd*bc*sc*i* net" in modules_alias(_kernel(), ["net"])


def _facts(disks: str, paths: str) -> str:
    return f"\n{B} disks\n{disks}\n{B} diskpaths\n{paths}\n{B} end\n"


DISKS = (
    '{"blockdevices": [{"name": "vda", "size": 8589934592, "model": null, "rota": false, "type": "disk"},'
    '{"name": "sda", "size": 1000, "model": "QEMU HARDDISK", "rota": true, "type": "disk"},'
    '{"name": "nvme0n1", "size": 2000, "model": "X", "rota": false, "type": "disk"}]}'
)


def test_disks_carry_their_by_path_name() -> None:
    paths = (
        "sda\tpci-0000:00:05.0-scsi-0:0:0:0\n"  # udev's own link comes first and wins
        "sda1\tpci-0000:00:05.0-scsi-0:0:0:0-part1\n"
        "vda\tpci-0000:00:07.0\n"
        "sda\tpci-0000:00:05.0\n"
        "nvme0n1\t$(reboot)\n"
    )
    disks = {d.name: d for d in parse_facts(_facts(DISKS, paths), B).disks}
    assert disks["vda"].by_path == "pci-0000:00:07.0" and disks["vda"].size_bytes == 8589934592
    assert disks["vda"].rotational is False
    assert disks["sda"].by_path == "pci-0000:00:05.0-scsi-0:0:0:0" and disks["sda"].model == "QEMU HARDDISK"
    assert disks["nvme0n1"].by_path is None  # a hostile name is dropped, the disk is kept
    assert parse_facts(_facts(DISKS, ""), B).disks[0].by_path is None
