"""Demo backend for Azure: the ARM stub plus Azurite, seeded from fixtures/demo/azure.json.

The management plane (accounts, locations, replication, key vaults) comes from the ARM stub in
``residency_audit_azure.testing``; Azurite has none. When ``node_modules/azurite`` is installed
(``npm ci``), every demo account also exists in Azurite with the same containers and public-access
levels, the stub advertises Azurite as each account's blob endpoint, and the plugin's read-only
anonymous-listing check runs against it. Without Azurite the demo still runs, minus that check.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
from collections.abc import Iterator
from typing import Any

from residency_audit_azure.testing import (
    ArmStub,
    Azurite,
    account_key,
    find_azurite,
    run_azurite,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "demo" / "azure.json"
_LEVELS = {"None": None, "Blob": "blob", "Container": "container"}


def load_seed(path: pathlib.Path = SEED) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _accounts(seed: dict[str, Any]) -> list[dict[str, Any]]:
    return [acc for sub in seed["subscriptions"] for acc in sub.get("accounts", [])]


def seed_azurite(azurite: Azurite, seed: dict[str, Any]) -> None:
    """Create each demo container in Azurite with its public-access level and one blob."""
    from azure.storage.blob import BlobServiceClient

    for acc in _accounts(seed):
        name = acc["name"]
        service = BlobServiceClient(
            azurite.endpoint(name),
            credential={"account_name": name, "account_key": account_key(name)},
        )
        for container in acc.get("containers", []):
            level = _LEVELS[container.get("publicAccess", "None")]
            client = service.create_container(container["name"], public_access=level)
            client.upload_blob("README.txt", f"demo data in {name}".encode())


@contextlib.contextmanager
def serve(workdir: pathlib.Path) -> Iterator[dict[str, Any]]:
    """Start the ARM stub (and Azurite if installed) on free 127.0.0.1 ports, seed the Azure part
    of the demo estate, yield the ``[providers.azure]`` settings, stop everything on exit."""
    pathlib.Path(workdir).mkdir(parents=True, exist_ok=True)
    seed = load_seed()
    main_js = find_azurite(ROOT)
    with contextlib.ExitStack() as stack:
        blob_endpoint = None
        if main_js is not None:
            names = tuple(acc["name"] for acc in _accounts(seed))
            azurite = stack.enter_context(run_azurite(main_js, names))
            seed_azurite(azurite, seed)
            blob_endpoint = azurite.endpoint_template
        stub = stack.enter_context(ArmStub(seed, blob_endpoint=blob_endpoint))
        yield {
            "arm_endpoint": stub.url,
            "credential": "anonymous",
            "verify_anonymous": main_js is not None,
            "verify_timeout": 5,
        }
