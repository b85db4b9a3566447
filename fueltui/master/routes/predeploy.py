"""GET /environments/{name}/predeploy: what a deploy would be told, without starting one.

The deploy's own checks (`deploy.checks`, the verification gate among them) give the errors
that would refuse it; the environment's rule warnings (e.g. the HA recommendation) are added,
so a client can show the whole picture before asking — the same text the refusal would carry."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from fueltui.api.schema import FindingsResponse
from fueltui.core.model import Severity
from fueltui.master import corerules
from fueltui.master.deploy.checks import PredeployContext, predeploy_findings
from fueltui.master.deploy.task import selected_nodes
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["environments"])


@router.get("/environments/{name}/predeploy", response_model=FindingsResponse, responses=errors(404))
async def predeploy(request: Request, name: str, skip_verify: bool = Query(False)) -> FindingsResponse:
    store = master_of(request).store
    env = store.environment(name).environment
    release = store.release(env.release)
    nodes = [r.node for r in store.nodes(name)]
    params: dict[str, object] = {"skip_verify": skip_verify}
    ctx = PredeployContext(
        store=store,
        env=env,
        release=release,
        nodes=nodes,
        targets=selected_nodes(params, nodes),
        params=params,
    )
    blocking = predeploy_findings(ctx)
    warnings = [
        f for f in corerules.environment_findings(env, release, nodes) if f.severity == Severity.warning
    ]
    return FindingsResponse(findings=[*blocking, *warnings])
