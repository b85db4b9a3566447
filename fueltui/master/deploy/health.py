"""Who is to blame when the health check fails: the broken node, not every node that
could not reach it.

Every node pings every peer on every shared network, so a node that is broken on a
network shows as a node no peer reaches there, or one that reaches no peer there. That
node is blamed; its peers, which reach each other, are not. A failure no isolated node
explains (one pair only) blames both of its ends: the check cannot tell which is wrong.
With only two nodes on a network the two cannot be told apart either; both are blamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def blame(entries: Iterable[Mapping[str, object]]) -> dict[str, list[str]]:
    """Node name -> why it is blamed. `entries` are health results: from, network, peer,
    address, ok."""
    by_network: dict[str, list[tuple[str, str, str, bool]]] = {}
    for e in entries:
        key = str(e["network"])
        by_network.setdefault(key, []).append(
            (str(e["from"]), str(e["peer"]), str(e["address"]), bool(e["ok"]))
        )
    reasons: dict[str, list[str]] = {}

    def add(name: str, why: str) -> None:
        if why not in reasons.setdefault(name, []):
            reasons[name].append(why)

    for network, pairs in sorted(by_network.items()):
        names = {p[0] for p in pairs} | {p[1] for p in pairs}
        isolated: set[str] = set()
        for name in sorted(names):
            outgoing = [p for p in pairs if p[0] == name]
            incoming = [p for p in pairs if p[1] == name]
            if incoming and not any(p[3] for p in incoming):
                address = incoming[0][2]
                add(name, f"no peer reaches it on {network} ({address})")
                isolated.add(name)
            elif outgoing and not any(p[3] for p in outgoing):
                add(name, f"it reaches no peer on {network}")
                isolated.add(name)
        for source, peer, address, ok in pairs:
            if not ok and source not in isolated and peer not in isolated:
                add(source, f"cannot reach {peer} on {network} ({address})")
                add(peer, f"{source} cannot reach it on {network} ({address})")
    return reasons


def summary(status: str, message: str, blamed: list[str], entries: Sequence[Mapping[str, object]]) -> str:
    """A node's health line once the check is done. A check that failed itself (it timed out,
    say, on a network where every ping waits) keeps its failure, with what it had checked by
    then: "all 3 peer addresses reachable" from a check that stopped after 3 of 32 is a lie."""
    missed = [f"{e['peer']} on {e['network']} ({e['address']})" for e in entries if not e["ok"]]
    if blamed:
        return "health: " + "; ".join(blamed)
    if status == "error":
        so_far = f"{len(entries)} peer addresses checked, {len(missed)} not reached"
        return f"{message} ({so_far} before it stopped)" if message else f"health: {so_far}"
    if missed:  # the peers it missed are blamed, not this node
        return f"health: ok; cannot reach {', '.join(missed)} (blamed on the peer)"
    return f"health: all {len(entries)} peer addresses reachable"
