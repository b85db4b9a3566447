"""Property-based API fuzzing: schemathesis generates requests from the published OpenAPI
document and sends them to a real master over TCP (with its token); no request may end in
a server error or an answer the document does not promise. Streams (SSE) are left out:
they never end by design."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from fueltui.master.tasks import TaskContext
from masterfixtures import RunningMaster

MAX_EXAMPLES = 6
STREAMS = ("/events", "/logs/follow")
# No server error, and every answer is what the document promises (status, type, body).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


async def _harmless(ctx: TaskContext) -> dict[str, object]:
    return {}


def _checks_are_live(operation: schemathesis.APIOperation, base_url: str, auth: dict[str, str]) -> None:
    """A forged answer the document does not promise must fail the checks: they really run."""
    case = operation.Case()
    real = case.call(base_url=base_url, headers=auth, timeout=10)
    case.validate_response(real, checks=CHECKS, headers=auth)
    forged = copy.copy(real)
    forged.status_code = 418
    with pytest.raises(FailureGroup):
        case.validate_response(forged, checks=CHECKS, headers=auth)


@pytest.mark.timeout(240)
def test_no_request_makes_the_master_fail(master_factory: Callable[..., RunningMaster]) -> None:
    running = master_factory(listen="127.0.0.1:0")
    # Generated requests start tasks: no kind may reach the network (discovery, deploy, verify).
    for kind in [*running.state.tasks.kinds(), "discover", "deploy", "verify"]:
        running.state.tasks.register(kind, _harmless)
    assert running.server.tcp_address is not None
    host, port = running.server.tcp_address
    base_url = f"http://{host}:{port}"
    auth = {"Authorization": f"Bearer {running.server.token}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", headers=auth)
    found = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(found) == len(list(schema.get_all_operations())), "the document has an invalid operation"
    operations = [op for op in found if not op.path.endswith(STREAMS)]
    assert len(operations) >= 20
    _checks_are_live(operations[0], base_url, auth)
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=auth, timeout=10)
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except FailureGroup as exc:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
                    f"\n  {str(exc)[:600]}"
                )
                raise

        check()
    assert not failures, "\n".join(failures)
