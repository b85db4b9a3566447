"""`GET /nodes` answers with an ETag and a 304 to If-None-Match; the client keeps each query's
parsed list and, on a 304, returns it without parsing 1 000 records again. Against a real
master on a unix socket: whatever changes in a list (a write, a new node, a deletion, a node
going offline) must come back as a 200 with the new data, and two queries' lists must not mix;
a node only seen again as it was changes nothing the list says: a 304."""

from __future__ import annotations

import gc
import json

import httpx

from fueltui.api.schema import API_PREFIX, NodeRecord
from fueltui.client.api import MasterClient
from fueltui.client.nodelists import _reuse
from fueltui.core.model import Nic, NodeFacts, SystemInfo
from masterfixtures import RunningMaster

MACS = [f"52:54:00:ee:00:0{i}" for i in range(1, 6)]


def discover(master: RunningMaster, macs: list[str]) -> None:
    for mac in macs:
        index = MACS.index(mac)
        facts = NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True, state="up")], hostname=f"srv{index}")
        master.state.store.upsert_discovered(mac, f"10.20.0.{index + 3}", facts)


def statuses(client: MasterClient) -> list[int]:
    """The status of every `GET /nodes` the client sends from now on."""
    seen: list[int] = []

    async def on_response(response: httpx.Response) -> None:
        if response.request.url.path == API_PREFIX + "/nodes":
            seen.append(response.status_code)

    client.http.event_hooks = {"request": [], "response": [on_response]}
    return seen


def truth(master: RunningMaster, environment: str | None = None) -> list[NodeRecord]:
    """The store's records as the list gives them: without last seen (GET /nodes/{mac} has it)."""
    records = master.state.store.nodes(environment=environment)
    return [r.model_copy(update={"last_seen": None}) for r in records]


async def test_an_unchanged_list_is_a_304_and_the_same_records(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master, MACS[:3])
    seen = statuses(client)
    first = await client.nodes()
    second = await client.nodes()
    assert seen == [200, 304]
    assert second == first == truth(master)
    assert second is not first and all(a is b for a, b in zip(first, second, strict=True))  # not parsed again
    first.clear()  # the caller's list is its own
    assert await client.nodes() == truth(master) and seen == [200, 304, 304]


async def test_the_master_tags_the_answer_and_honours_if_none_match(master: RunningMaster) -> None:
    discover(master, MACS[:2])
    async with MasterClient.for_socket(master.base) as raw:
        full = await raw.http.get(API_PREFIX + "/nodes")
        etag = full.headers["etag"]
        assert full.status_code == 200 and etag.startswith('"') and etag.endswith('"')
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await raw.http.get(API_PREFIX + "/nodes", headers={"If-None-Match": header})
            assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag), header
        stale = await raw.http.get(API_PREFIX + "/nodes", headers={"If-None-Match": '"other"'})
        assert stale.status_code == 200 and stale.content == full.content
        scoped = await raw.http.get(API_PREFIX + "/nodes", params={"environment": "none-such"})
        assert scoped.content == b"[]" and scoped.headers["etag"] != etag
        document = (await raw.http.get(API_PREFIX + "/openapi.json")).json()
        answers = document["paths"][API_PREFIX + "/nodes"]["get"]["responses"]
        assert "ETag" in answers["200"]["headers"] and "ETag" in answers["304"]["headers"]


async def test_every_change_is_a_200_with_the_new_list(master: RunningMaster, client: MasterClient) -> None:
    discover(master, MACS[:3])
    seen = statuses(client)
    await client.nodes()
    record = truth(master)[0]
    renamed = await client.update_node(record.node.mac, record.revision, name="ctrl-1")
    after = await client.nodes()
    assert after[0].node.name == "ctrl-1" and after == truth(master)
    discover(master, MACS[3:4])  # a new node
    assert [r.node.mac for r in await client.nodes()] == MACS[:4]
    master.state.store.delete_node(MACS[1])
    assert [r.node.mac for r in await client.nodes()] == [MACS[0], *MACS[2:4]]
    master.state.store.set_node_online(MACS[2], False)  # as discovery marks a silent node
    gone = await client.nodes()
    assert gone == truth(master) and not gone[1].node.online
    assert seen == [200, 200, 200, 200, 200]
    assert renamed.revision == after[0].revision


async def test_two_environments_lists_do_not_mix(master: RunningMaster, client: MasterClient) -> None:
    discover(master, MACS[:4])
    await client.create_environment("east")
    await client.create_environment("west")
    for mac, place in zip(MACS, ["east", "east", "west", "west"], strict=False):
        record = master.state.store.node(mac)
        await client.update_node(mac, record.revision, environment=place)
    await client.create_environment("empty-a")
    await client.create_environment("empty-b")
    seen = statuses(client)
    queries: list[str | None] = ["east", "west", None, "empty-a", "empty-b"]
    for _ in range(2):
        for env in queries:
            assert await client.nodes(env) == truth(master, env), env
    assert seen == [200] * 5 + [304] * 5
    assert [r.node.mac for r in await client.nodes("east")] == MACS[:2]
    record = master.state.store.node(MACS[2])
    await client.update_node(MACS[2], record.revision, environment="east")  # west → east
    del seen[:]
    for env in queries:
        assert await client.nodes(env) == truth(master, env), env
    assert seen == [200, 200, 200, 304, 304]
    assert [r.node.mac for r in await client.nodes("east")] == MACS[:3]
    assert [r.node.mac for r in await client.nodes("west")] == MACS[3:4]


async def test_a_record_a_caller_changed_is_not_handed_out_again(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master, MACS[:2])
    seen = statuses(client)
    first = await client.nodes()
    first[0].node.name = "scribbled"
    first[1].node.roles.append("controller")
    second = await client.nodes()
    assert seen == [200, 304]
    assert second == truth(master) and second[0].node.name == "srv0" and second[1].node.roles == []
    assert second[0] is not first[0]  # parsed again from the kept answer
    third = await client.nodes()
    assert all(a is b for a, b in zip(second, third, strict=True))  # and kept from then on
    third[0].node.name = object()  # type: ignore[assignment]  # one that does not even encode
    fourth = await client.nodes()
    assert fourth == truth(master) and fourth[0] is not third[0] and seen == [200, 304, 304, 304]


async def test_a_changed_list_validates_only_the_records_that_changed(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master, MACS[:4])
    seen = statuses(client)
    first = await client.nodes()
    record = master.state.store.node(MACS[1])
    await client.update_node(MACS[1], record.revision, name="renamed")
    master.state.store.delete_node(MACS[3])
    discover(master, MACS[4:5])
    second = await client.nodes()
    assert seen == [200, 200] and second == truth(master)
    assert [r.node.mac for r in second] == [MACS[0], MACS[1], MACS[2], MACS[4]]
    assert second[0] is first[0] and second[2] is first[2]  # the same values: the kept records
    assert second[1] is not first[1] and second[1].node.name == "renamed" and first[1].node.name == "srv1"
    second[0].node.roles.append("scribbled")  # a caller's change is not reused for the next answer
    master.state.store.set_node_online(MACS[2], False)  # the list changes (seen again would not)
    third = await client.nodes()
    assert third == truth(master) and third[0].node.roles == [] and third[0] is not second[0]
    nics = [Nic(name="eth0", mac=MACS[2], pxe=True, state="up")]
    facts = NodeFacts(nics=nics, hostname="srv2", system=SystemInfo(manufacturer="Société Générale"))
    master.state.store.upsert_discovered(MACS[2], "10.20.0.5", facts)  # past ASCII: walked the same
    fourth = await client.nodes()
    assert fourth == truth(master) and fourth[2].node.facts.system.manufacturer == "Société Générale"
    assert fourth[0] is third[0] and fourth[3] is third[3]
    await client.update_node(MACS[0], fourth[0].revision, name="back-to-ascii")
    fifth = await client.nodes()
    assert fifth == truth(master) and fifth[0].node.name == "back-to-ascii"
    assert fifth[2] is fourth[2] and fifth[1:] == fourth[1:]
    assert seen == [200, 200, 200, 200, 200]


def test_an_answer_not_laid_out_as_the_masters_is_parsed_in_full() -> None:
    """The walk over a changed answer gives up (None: a full parse decides) on any layout but the
    master's own, and never returns a record it did not read whole."""
    record = NodeRecord.model_validate(
        {"node": {"mac": MACS[0], "name": "a"}, "revision": 1, "last_seen": None}
    )
    part = record.model_dump_json(by_alias=True).encode()
    reordered = json.dumps({"revision": 3, "node": record.node.model_dump(mode="json")}).encode()
    other = record.model_copy(update={"revision": 2}).model_dump_json(by_alias=True).encode()
    assert _reuse(b"[]", [record], [part]) == []
    assert _reuse(b"[" + part + b"]", [record], [part]) == [record]
    assert _reuse(b"[" + part + b"," + other + b"]", [record], [part]) == [
        record,
        record.model_copy(update={"revision": 2}),
    ]
    for body in (
        b"[" + part + b",]",  # a trailing comma
        b"[ " + part + b"]",  # whitespace
        b"[" + part + part + b"]",  # no comma between
        b"[" + part[:-1] + b"]",  # cut short
        b"[" + part + b"," + b'{"node":{"mac":"x"}}' + b"]",  # not a record
        b"[" + other + b"," + other + b"5]",  # a new record and something after it
        b"[" + part.replace(b'"revision":1', b'"revision":-1') + b"]",  # a kept one's key, invalid
        b"[" + other + b"," + reordered + b"]",  # a second record in the new one's slice
        b"[" + other + b"," + b"]",  # a trailing comma after a new one
        b"{}",
    ):
        assert _reuse(body, [record], [part]) is None, body


async def test_the_parse_leaves_the_cycle_collector_as_it_found_it(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master, MACS[:2])
    assert gc.isenabled()
    await client.nodes()
    assert gc.isenabled()
    gc.disable()  # a program that turned it off itself keeps it off
    try:
        discover(master, MACS[2:3])
        assert len(await client.nodes()) == 3 and not gc.isenabled()
    finally:
        gc.enable()


async def test_a_node_seen_again_as_it_was_keeps_the_tag_and_a_flip_moves_it(
    master: RunningMaster, client: MasterClient
) -> None:
    """Discovery sees every node again each poll: the list's tag must not move with that (at 1 000
    nodes it would move ~33 times a second), and must move when a node goes off- or online."""
    discover(master, MACS[:3])
    seen = statuses(client)
    first = await client.nodes()
    seen_at = master.state.store.node(MACS[1]).last_seen
    async with MasterClient.for_socket(master.base) as raw:
        tag = (await raw.http.get(API_PREFIX + "/nodes")).headers["etag"]
        discover(master, MACS[:3])  # every node polled again, nothing changed
        after = master.state.store.node(MACS[1])
        assert after.last_seen is not None and seen_at is not None and after.last_seen > seen_at
        assert (await client.node(MACS[1])).last_seen == after.last_seen  # one node's record has it
        assert (await raw.http.get(API_PREFIX + "/nodes")).headers["etag"] == tag
        again = await client.nodes()
        assert seen == [200, 304] and all(a is b for a, b in zip(first, again, strict=True))
        assert all(r.last_seen is None for r in again) and again == truth(master)
        master.state.store.set_node_online(MACS[1], False)  # discovery: silent past offline_after
        offline = await raw.http.get(API_PREFIX + "/nodes")
        assert offline.headers["etag"] != tag
        listed = await client.nodes()
        assert seen == [200, 304, 200] and [r.node.online for r in listed] == [True, False, True]
        discover(master, MACS[1:2])  # it answers again: online, a new tag again
        back = await raw.http.get(API_PREFIX + "/nodes")
        assert back.headers["etag"] not in (tag, offline.headers["etag"])
        assert [r.node.online for r in await client.nodes()] == [True, True, True]
        assert seen == [200, 304, 200, 200]


async def test_parsed_records_are_not_left_for_a_young_collection(
    master: RunningMaster, client: MasterClient
) -> None:
    """After a parse the records are in the oldest generation: the next allocation does not set off
    a young collection walking every object just parsed (7-17 ms at 1 000 nodes). Objects the
    program froze itself stay frozen."""
    for i in range(60):
        mac = f"52:54:00:ef:00:{i:02x}"
        master.state.store.upsert_discovered(mac, None, NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True)]))
    records = await client.nodes()
    objects = {id(o) for r in records for o in (r, r.node, r.node.facts, *r.node.facts.nics)}
    young = {id(o) for o in gc.get_objects(generation=0) + gc.get_objects(generation=1)}
    assert len(records) == 60 and not objects & young
    assert objects <= {id(o) for o in gc.get_objects(generation=2)}
    held = [{"kept": "frozen"}]
    gc.freeze()  # a program that froze its start-up objects (a pre-fork server does)
    try:
        master.state.store.set_node_online("52:54:00:ef:00:00", False)
        assert not (await client.nodes())[0].node.online
        assert gc.get_freeze_count() > 0 and not any(o is held for o in gc.get_objects())  # still frozen
    finally:
        gc.unfreeze()
    assert any(o is held for o in gc.get_objects())
