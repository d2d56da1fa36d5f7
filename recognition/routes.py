"""Thin controllers: health_admins edit the trust list, gates download it."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody

from healthcode.service import sign_detached
from identity.auth import CitizenPrincipal, GatePrincipal, gate_dependency, health_admin_dependency
from recognition import anchor, service
from recognition.errors import (
    IssuerNotTrusted,
    TrustEntryInvalid,
    TrustListBusy,
    TrustListSignatureInvalid,
)
from recognition.schemas import AcceptanceRules, CityIssuerIn, DscImportIn, TrustListOut

SIGNATURE_HEADER = "Trust-List-Signature"


def _out(document: dict[str, Any]) -> TrustListOut:
    return msgspec.convert(document, TrustListOut)


class TrustListAdminController(Controller):
    path = "/api/v1/admin/trust-list"
    tags = ["mutual recognition"]
    dependencies = health_admin_dependency

    @get("/", summary="The trust list in force, with its version")
    async def show(self, admin: NamedDependency[CitizenPrincipal]) -> TrustListOut:
        return _out(await service.document())

    @post(
        "/city-issuers",
        status_code=200,
        summary="Trust another City Brain: its iss, region and JWKS (replaces its keys)",
        opt={"problems": [TrustEntryInvalid, TrustListBusy]},
    )
    async def put_city(
        self, admin: NamedDependency[CitizenPrincipal], data: JSONBody[CityIssuerIn]
    ) -> TrustListOut:
        return _out(await service.put_city(admin.citizen_id, data))

    @delete(
        "/city-issuers",
        summary="Stop trusting a City Brain issuer",
        opt={"problems": [IssuerNotTrusted, TrustListBusy]},
    )
    async def remove_city(
        self, admin: NamedDependency[CitizenPrincipal], iss: FromQuery[str]
    ) -> None:
        await service.remove_city(admin.citizen_id, iss)

    @put(
        "/dsc",
        summary="Replace the EU DCC document signers (EU gateway trust-list shape)",
        description="With `CITYBRAIN_DSC_TRUST_ANCHOR` set, the body must be signed by the "
        "anchor's key: `Trust-List-Signature` is the base64 of the signature over the body.",
        opt={"problems": [TrustEntryInvalid, TrustListSignatureInvalid, TrustListBusy]},
    )
    async def import_dsc(
        self,
        admin: NamedDependency[CitizenPrincipal],
        data: JSONBody[DscImportIn],
        request: Request[Any, Any, Any],
        signature: Annotated[
            str | None,
            HeaderParameter(name=anchor.SIGNATURE_HEADER, required=False, max_length=2048),
        ] = None,
    ) -> TrustListOut:
        try:
            anchor.check(await request.body(), signature)
        except anchor.SignatureRefused as refused:
            raise TrustListSignatureInvalid(str(refused)) from None
        return _out(await service.import_dsc(admin.citizen_id, data))

    @put(
        "/rules",
        summary="Set when a valid EU DCC counts as green",
        opt={"problems": [TrustListBusy]},
    )
    async def put_rules(
        self, admin: NamedDependency[CitizenPrincipal], data: JSONBody[AcceptanceRules]
    ) -> TrustListOut:
        return _out(await service.put_rules(admin.citizen_id, data))


class GateTrustListController(Controller):
    path = "/api/v1/gate/trust-list"
    tags = ["mutual recognition"]
    dependencies = gate_dependency

    @get(
        "/",
        summary="The whole trust list, for verifying offline (ETag / If-None-Match)",
        description="`Trust-List-Signature` is a JWS of the body with the payload detached "
        "(`header..signature`, ES256), by a key of `/.well-known/jwks.json`.",
        responses={200: ResponseSpec(TrustListOut, description="The list, signed")},
        response_headers=[
            ResponseHeader(
                name=SIGNATURE_HEADER,
                documentation_only=True,
                description="JWS of the body, payload detached",
            )
        ],
    )
    async def download(
        self, gate: NamedDependency[GatePrincipal], request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        document = await service.document()
        tag = service.etag(document)
        headers = {"ETag": tag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == tag:
            return Response(b"", status_code=304, headers=headers)
        body = msgspec.json.encode(_out(document))
        headers[SIGNATURE_HEADER] = await sign_detached(body)
        return Response(body, headers=headers, media_type="application/json")


route_handlers = [TrustListAdminController, GateTrustListController]
