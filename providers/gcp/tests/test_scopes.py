"""Scopes: explicit projects, or every project under an organization or folder."""

from __future__ import annotations

import pytest

from residency_audit.errors import CollectionError
from residency_audit_gcp import GcpProvider
from residency_audit_gcp.testing import ProjectTree, serve_resource_manager


def test_explicit_projects_are_the_scopes_without_any_api_call() -> None:
    calls: list[tuple[str, str]] = []
    p = GcpProvider.from_settings(
        {"projects": ["proj-a1", "proj-b2"]}, observer=lambda m, u: calls.append((m, u))
    )
    assert [s.id for s in p.scopes()] == ["proj-a1", "proj-b2"]
    assert calls == []


def test_organization_walk_finds_nested_projects_follows_paging_and_keeps_failed_folder(
    resource_manager: tuple[str, list[tuple[str, str]]],
) -> None:
    url, received = resource_manager
    p = GcpProvider.from_settings({"organization": "100", "resource_manager_endpoint": url})
    scopes = list(p.scopes())
    ids = [s.id for s in scopes]
    # gamma is on the second page of folders/200; delta is two folders deep
    assert ids == ["proj-alpha", "proj-beta", "proj-gamma", "folders/300", "proj-delta"]
    assert "proj-gone" not in ids  # DELETE_REQUESTED projects have no listable buckets
    assert next(s for s in scopes if s.id == "proj-alpha").name == "Alpha"
    assert next(s for s in scopes if s.id == "proj-delta").name == "proj-delta"
    # the folder whose projects could not be listed is not skipped: its scope fails (exit 3)
    failed = next(s for s in scopes if s.id == "folders/300")
    with pytest.raises(CollectionError) as err:
        list(p.buckets(failed))
    assert err.value.code == "403"
    assert "folders/300" in str(err.value)
    assert all(method == "GET" for method, _ in received)


def test_folder_scope_lists_only_that_subtree(
    resource_manager: tuple[str, list[tuple[str, str]]],
) -> None:
    url, _ = resource_manager
    p = GcpProvider.from_settings({"folder": "folders/200", "resource_manager_endpoint": url})
    assert sorted(s.id for s in p.scopes()) == ["proj-beta", "proj-delta", "proj-gamma"]


def test_unlistable_root_is_a_collection_error(
    resource_manager: tuple[str, list[tuple[str, str]]],
) -> None:
    url, _ = resource_manager
    p = GcpProvider.from_settings({"folder": "300", "resource_manager_endpoint": url})
    with pytest.raises(CollectionError) as err:
        list(p.scopes())
    assert err.value.code == "403"
    assert "folders/300" in str(err.value)


def test_a_failing_folder_search_keeps_the_projects_found_and_fails_that_parent() -> None:
    """folders/200's sub-folders cannot be searched: its own projects are still scanned, and
    folders/200 becomes a FAILED scope (it may hide the projects of folders/210)."""

    tree: ProjectTree = {
        "organizations/100": (
            [{"projectId": "proj-alpha", "displayName": "Alpha", "state": "ACTIVE"}],
            [{"name": "folders/200", "state": "ACTIVE"}],
        ),
        "folders/200": (
            [{"projectId": "proj-beta", "displayName": "Beta", "state": "ACTIVE"}],
            [{"name": "folders/210", "state": "ACTIVE"}],
        ),
        "folders/210": ([{"projectId": "proj-delta", "displayName": "", "state": "ACTIVE"}], []),
    }

    def deny_subfolders_of_200(method: str, path: str) -> str | None:
        folders = path.startswith("/v3/folders:search")
        return "denied" if folders and "folders%2F200" in path else None

    with serve_resource_manager(tree, faults=deny_subfolders_of_200) as (url, _):
        p = GcpProvider.from_settings({"organization": "100", "resource_manager_endpoint": url})
        scopes = list(p.scopes())
        assert [s.id for s in scopes] == ["proj-alpha", "proj-beta", "folders/200"]
        with pytest.raises(CollectionError) as err:
            list(p.buckets(next(s for s in scopes if s.id == "folders/200")))
    assert err.value.code == "403"
    assert "folders under folders/200" in str(err.value)


def test_a_project_search_failing_on_a_later_page_keeps_the_earlier_pages() -> None:
    tree: ProjectTree = {
        "folders/200": (
            [
                {"projectId": "proj-beta", "displayName": "Beta", "state": "ACTIVE"},
                {"projectId": "proj-gamma", "displayName": "Gamma", "state": "ACTIVE"},
            ],
            [],
        ),
    }

    def deny_second_page(method: str, path: str) -> str | None:
        projects = path.startswith("/v3/projects:search")
        return "throttled" if projects and "pageToken=1" in path else None

    with serve_resource_manager(tree, faults=deny_second_page) as (url, _):
        p = GcpProvider.from_settings(
            {"folder": "200", "resource_manager_endpoint": url, "retry_deadline": 0.5}
        )
        assert [s.id for s in p.scopes()] == ["proj-beta", "folders/200"]
