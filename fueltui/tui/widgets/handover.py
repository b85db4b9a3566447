"""The cloud handed over: one line with where to log in and how to get the admin's password.

The password itself never reaches this line — it says which command prints the openrc; the
Health page shows the openrc only when asked (issue 15: "shown only on request")."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from fueltui.api.schema import CloudAccess
from fueltui.client.errors import ApiError
from fueltui.tui.backend import MasterAPI

NO_CLOUD = "no-cloud"


async def fetch_cloud(master: MasterAPI, env: str) -> CloudAccess | None:
    """The environment's cloud, or None when it has none yet (the master's 404 `no-cloud`);
    any other failure is raised for the caller's usual error handling."""
    try:
        return await master.cloud(env)
    except ApiError as exc:
        if exc.status == 404 and exc.code == NO_CLOUD:
            return None
        raise


def handover_text(cloud: CloudAccess, env: str) -> Text:
    text = Text()
    text.append("Cloud: ", style="bold")
    text.append(f"Horizon {cloud.horizon_url}  Keystone {cloud.keystone_url}  ")
    text.append(f"user {cloud.admin_user} (project {cloud.admin_project})  ")
    text.append(f"password: fueltui openrc {env}", style="bold")
    return text


class CloudLine(Static):
    """The hand-over line; hidden until the environment's cloud is there (and, where
    `only_deployed`, until the environment is operational)."""

    DEFAULT_CSS = """
    CloudLine { height: auto; max-height: 3; }
    """

    def __init__(self, *, only_deployed: bool = False, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.only_deployed = only_deployed
        self.cloud: CloudAccess | None = None
        self.display = False

    def show(self, cloud: CloudAccess | None, env: str) -> None:
        self.cloud = cloud
        visible = cloud is not None and (cloud.deployed or not self.only_deployed)
        self.display = visible
        self.update(handover_text(cloud, env) if cloud is not None and visible else "")

    async def load(self, master: MasterAPI, env: str) -> None:
        """Fetch and show; a failure hides the line (the page around it reports errors)."""
        try:
            cloud = await fetch_cloud(master, env)
        except Exception:
            cloud = None
        self.show(cloud, env)
