"""`candor-dev seed` against a real incident-api: idempotent, and the key it returns works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from candor_dev.seed import Catalog, SeedError, check_key, fixed_keys, load_catalog, seed
from tests.conftest import RunningApi
from tests.incident_api.helpers import post_alert
from tests.payloads import alertmanager

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"
DEMO = "Prometheus (demo)"
FIXED_KEY = "cndr_ik_fixed-for-tests_0123456789abcdef"


async def active_demo_integrations(operator: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await operator.get("/v1/integrations")
    assert response.status_code == 200
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return [i for i in items if i["name"] == DEMO and i["revoked_at"] is None]


def test_the_example_catalog_has_what_make_run_promises() -> None:
    catalog = load_catalog(EXAMPLE)
    names = {service.slug: service.name for service in catalog.services}
    assert names["email"] == "Email"
    assert {"vpn", "payroll", "wifi"} <= set(names)
    assert any("email" in subscriber.services for subscriber in catalog.subscribers)
    assert all(s.email.endswith("@example.org") for s in catalog.subscribers)
    (demo,) = [i for i in catalog.integrations if i.name == DEMO]
    assert (demo.source, demo.default_service) == ("alertmanager", "email")
    assert demo.key_env == "CANDOR_DEMO_INTEGRATION_KEY"


async def test_loading_twice_with_a_fixed_key_keeps_one_working_integration(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    catalog = load_catalog(EXAMPLE)
    keys = fixed_keys(catalog, {"CANDOR_DEMO_INTEGRATION_KEY": FIXED_KEY})

    first = await seed(client=operator, catalog=catalog, keys=keys)
    second = await seed(client=operator, catalog=catalog, keys=keys)

    services, subscribers = len(catalog.services), len(catalog.subscribers)
    assert first.services == {"created": services, "existing": 0}
    assert second.services == {"created": 0, "existing": services}
    assert second.subscribers == {"created": 0, "existing": subscribers}
    assert first.keys[DEMO] == second.keys[DEMO] == FIXED_KEY
    assert second.revoked == 0
    assert len(await active_demo_integrations(operator)) == 1
    response = await post_alert(api, FIXED_KEY, alertmanager(service=None))
    assert response.status_code == 202, response.text


async def test_without_a_fixed_key_each_load_replaces_the_key(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    catalog = load_catalog(EXAMPLE)

    first = await seed(client=operator, catalog=catalog)
    second = await seed(client=operator, catalog=catalog)

    assert first.keys[DEMO] != second.keys[DEMO]
    assert second.revoked == 1
    (active,) = await active_demo_integrations(operator)
    assert second.keys[DEMO].startswith(active["key_prefix"])
    assert (await post_alert(api, second.keys[DEMO], alertmanager())).status_code == 202

    # A fixed key given later replaces the generated one too.
    third = await seed(client=operator, catalog=catalog, keys={DEMO: FIXED_KEY})
    assert third.revoked == 1
    (active,) = await active_demo_integrations(operator)
    assert FIXED_KEY.startswith(active["key_prefix"])


async def test_an_api_refusal_is_reported_with_its_detail(operator: httpx.AsyncClient) -> None:
    catalog = Catalog.model_validate(
        {"subscribers": [{"email": "ana@example.org", "services": ["no-such-service"]}]}
    )
    with pytest.raises(SeedError, match=r"subscriber 'ana@example.org': HTTP 4\d\d"):
        await seed(client=operator, catalog=catalog)


def test_a_broken_catalog_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("services:\n  - slug: email\n    nmae: Email\n")
    with pytest.raises(SeedError, match=r"catalog\.yaml: services\.0\.(name|nmae)"):
        load_catalog(path)
    path.write_text("services: [\n")
    with pytest.raises(SeedError, match="not valid YAML"):
        load_catalog(path)
    with pytest.raises(SeedError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "key", ["cndr_ik_short", "wrong_prefix_0123456789abcdefghijklmnop", "cndr_ik_" + "x" * 30 + "!"]
)
def test_a_bad_preshared_key_is_refused_before_use(key: str) -> None:
    with pytest.raises(SeedError, match="CANDOR_DEMO_INTEGRATION_KEY must start with 'cndr_ik_'"):
        check_key(key, where="CANDOR_DEMO_INTEGRATION_KEY")
