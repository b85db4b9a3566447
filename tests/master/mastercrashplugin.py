"""A task kind for the crash test, loaded into a master subprocess via FUELTUI_MASTER_PLUGINS.

`test.steps` runs ten steps, committing progress after each; a first run blocks after
`block_after` steps (so the test can kill the master there); a resumed run starts from the
progress its predecessor committed — the handler decides what to skip."""

from __future__ import annotations

import asyncio

from fueltui.master.tasks import TaskContext, TaskManager


async def steps(ctx: TaskContext) -> dict[str, object]:
    start = 0
    if ctx.resumed_from is not None:
        start = ctx.store.task(ctx.resumed_from).progress // 10
    block_after = int(str(ctx.params.get("block_after", 0)))
    for step in range(start, 10):
        await ctx.log(None, f"step {step}")
        await ctx.set_progress((step + 1) * 10, f"step {step} done")
        if ctx.resumed_from is None and step + 1 == block_after:
            await asyncio.Event().wait()  # until the master is killed
    return {"started_at": start}


def register(tasks: TaskManager) -> None:
    tasks.register("test.steps", steps)
