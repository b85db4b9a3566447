"""A stand-in for the SSH fan-out that runs commands in our own namespaces instead.

Only the transport differs: the real probe agent runs in real namespaces on real bridges.
Node namespaces share the host's filesystem, so each "node" gets its own directory in
place of the agent's remote directory, as real nodes have their own disks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fueltui.master.verify.probes import REMOTE_DIR


@dataclass
class Result:
    exit_status: int | None
    stdout: str = ""
    stderr: str = ""


class NetnsFanout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.commands: list[tuple[str, list[str]]] = []

    def _local(self, host: str, text: str) -> str:
        return text.replace(REMOTE_DIR, str(self.root / host))

    async def put_file(self, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        target = Path(self._local(host, path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode)

    async def run(
        self,
        host: str,
        argv: Sequence[str] | str,
        on_line: Callable[[str, str], None] | None = None,
        timeout: float | None = None,
        input: str | AsyncIterable[str] | None = None,
    ) -> Result:
        assert not isinstance(argv, str)
        local = [self._local(host, a) for a in argv]
        if local[0] == "python3":
            local[0] = "/usr/bin/python3"
        self.commands.append((host, list(argv)))
        proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", host, *local,
            stdin=asyncio.subprocess.DEVNULL if input is None else asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        feeder: asyncio.Task[None] | None = None
        if proc.stdin is not None:
            if input is None or isinstance(input, str):
                with contextlib.suppress(ConnectionError):
                    proc.stdin.write((input or "").encode())
                    await proc.stdin.drain()
                proc.stdin.close()
            else:
                feeder = asyncio.create_task(_feed(proc.stdin, input))
        out: list[str] = []
        err: list[str] = []

        async def pump(stream: asyncio.StreamReader, name: str, sink: list[str]) -> None:
            async for raw in stream:
                line = raw.decode().rstrip("\n")
                sink.append(line)
                if on_line is not None:
                    on_line(name, line)

        async def both() -> None:
            assert proc.stdout is not None and proc.stderr is not None
            pumps = [
                asyncio.create_task(pump(proc.stdout, "stdout", out)),
                asyncio.create_task(pump(proc.stderr, "stderr", err)),
            ]
            try:
                for job in pumps:
                    await job
            finally:
                for job in pumps:
                    job.cancel()

        try:
            await asyncio.wait_for(both(), timeout)
            status = await proc.wait()
        finally:
            if feeder is not None:
                feeder.cancel()
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        return Result(status, "".join(x + "\n" for x in out), "".join(x + "\n" for x in err))

    async def close(self) -> None:
        return None


async def _feed(stdin: asyncio.StreamWriter, chunks: AsyncIterable[str]) -> None:
    """A streamed stdin, as the SSH fan-out writes one: each chunk as it comes, then EOF."""
    with contextlib.suppress(ConnectionError):
        async for chunk in chunks:
            stdin.write(chunk.encode())
            await stdin.drain()
        stdin.close()
