"""OpenAPI links (`app/openapi_links.py`): every link names real operations and sits on the
producer's answer in the served document, so that schemathesis' stateful testing can follow
venue → gate → revoke, hold → capture/void, app → submit → approve, stay → check-out, ...

The stateful run itself is not in the suite yet: see docs/decisions.md "Hardening".
"""

from __future__ import annotations

import json

from litestar.serialization import encode_json

from app.openapi_links import LINKS, linked_operations, openapi_path
from tests.helpers import Api


class TestOpenAPILinks:
    def test_the_links_name_real_operations(self, api: Api) -> None:
        document = json.loads(encode_json(api.client.app.openapi_schema.to_schema()))
        operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
        assert linked_operations() <= operations, linked_operations() - operations
        for (method, path), (status, consumers) in LINKS.items():
            links = document["paths"][path][method.lower()]["responses"][str(status)]["links"]
            assert len(links) == len(consumers), (method, path)
            for link in links.values():
                assert link["operationRef"].startswith("#/paths/~1api~1v1~1")
                assert all(v.startswith("$response.body#/") for v in link["parameters"].values())

    def test_route_paths_become_openapi_paths(self) -> None:
        assert openapi_path("/a/{venue_id:str}/gates/{n:int}") == "/a/{venue_id}/gates/{n}"
