"""What a command on a node ends as: its result, or the error saying why it did not run
or did not finish (see `fueltui.ssh.fanout`)."""

from __future__ import annotations

from dataclasses import dataclass

KILL_TIMEOUT = 5.0  # seconds the kill of a timed-out or cancelled command may take


class FanoutError(Exception):
    """A node could not be worked on; `host` says which."""

    def __init__(self, host: str, message: str) -> None:
        self.host = host
        self.reason = message
        super().__init__(f"{host}: {message}")


class NodeUnreachable(FanoutError):
    """No SSH session could be opened (refused, timed out, authentication failed...)."""


class CommandTimeout(FanoutError, TimeoutError):
    """The command ran past its timeout. `outcome` says what became of it: `killed` (the
    node confirmed the kill), `not-started` (no session opened in time) or `unconfirmed`
    (the node did not answer the kill; the command may still run there)."""

    def __init__(self, host: str, timeout: float, partial: RunResult, outcome: str = "killed") -> None:
        self.partial = partial
        self.outcome = outcome
        text = {
            "killed": f"command timed out after {timeout:g} s and was killed",
            "not-started": (
                f"command timed out after {timeout:g} s: the node did not open a session; "
                "the connection was dropped"
            ),
            "unconfirmed": (
                f"command timed out after {timeout:g} s; the node did not answer the kill within "
                f"{KILL_TIMEOUT:g} s, so the connection was dropped and the command may still run there"
            ),
        }[outcome]
        super().__init__(host, text)

    @property
    def killed(self) -> bool:
        return self.outcome == "killed"


@dataclass
class RunResult:
    exit_status: int | None
    stdout: str = ""
    stderr: str = ""
    signal: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_status == 0
