"""Every write carries the revision it read: two applies that read the same environment cannot
both win, and neither can a boot-options write based on options someone has since changed."""

from __future__ import annotations

import pytest
from test_master_api import ANSWERS, discover

from fueltui.client.api import MasterClient
from fueltui.client.errors import ConflictError
from fueltui.core.model import BootOptions, DhcpPool
from masterfixtures import RunningMaster


async def test_two_applies_that_read_the_same_revision_do_not_both_win(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    created = await client.apply(ANSWERS, source="lab.yaml")
    assert created.created and created.revision == 1
    mine = ANSWERS.replace("name: ctrl-1", "name: ctrl-mine")
    theirs = ANSWERS.replace("name: ctrl-1", "name: ctrl-theirs")
    read_mine = await client.apply(mine, source="mine.yaml", dry_run=True)
    read_theirs = await client.apply(theirs, source="theirs.yaml", dry_run=True)
    assert read_mine.revision == read_theirs.revision == 1 and read_mine.changes and read_theirs.changes
    await client.apply(theirs, source="theirs.yaml", revision=read_theirs.revision)
    with pytest.raises(ConflictError) as stale:
        await client.apply(mine, source="mine.yaml", revision=read_mine.revision)
    assert stale.value.code == "stale-revision"
    names = {record.node.name for record in await client.nodes(environment="lab")}
    assert "ctrl-theirs" in names and "ctrl-mine" not in names  # the refused write changed nothing


async def test_an_apply_to_an_existing_environment_must_say_what_it_read(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    await client.apply(ANSWERS, source="lab.yaml")
    changed = ANSWERS.replace("name: ctrl-1", "name: ctrl-2")
    with pytest.raises(ConflictError) as blind:
        await client.apply(changed, source="lab.yaml")
    assert blind.value.code == "revision-required"
    revision = (await client.environment("lab")).revision
    applied = await client.apply(changed, source="lab.yaml", revision=revision)
    assert applied.changes and applied.revision is not None and applied.revision >= revision
    # an unchanged file writes nothing, so it needs no revision
    assert (await client.apply(changed, source="lab.yaml")).changes == []


async def test_two_creates_of_one_environment_do_not_both_win(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    first = await client.apply(ANSWERS, source="a.yaml", dry_run=True)
    second = await client.apply(ANSWERS, source="b.yaml", dry_run=True)
    assert first.revision is None and second.revision is None  # both read: no such environment
    await client.apply(ANSWERS, source="a.yaml", revision=first.revision)
    with pytest.raises(ConflictError):
        await client.apply(
            ANSWERS.replace("name: comp-1", "name: comp-2"), "b.yaml", revision=second.revision
        )


async def test_a_stale_boot_options_write_is_refused(client: MasterClient) -> None:
    opts = BootOptions(ip="10.20.0.2", dhcp_pool=DhcpPool(start="10.20.0.10", end="10.20.0.200"))
    read = await client.boot_options()
    theirs = await client.set_boot_options(
        opts.model_copy(update={"hostname": "theirs.example"}), read.revision
    )
    with pytest.raises(ConflictError):
        await client.set_boot_options(opts.model_copy(update={"hostname": "mine.example"}), read.revision)
    stored = await client.boot_options()
    assert stored.revision == theirs.revision and stored.options is not None
    assert stored.options.hostname == "theirs.example"
