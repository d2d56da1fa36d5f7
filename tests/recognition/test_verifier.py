"""The shared verifier, over codes signed here in every failure mode the issue lists."""

from __future__ import annotations

import zlib
from datetime import timedelta

import base45
import cbor2

from recognition.trust import from_document
from recognition.verifier import verify
from tests.recognition import factory as f
from tests.recognition.factory import T0


def _trust(*signers: f.Signer, cities: list[f.City] = []):  # noqa: B006 - never mutated
    return from_document(f.trust_document(list(signers), cities))


class TestEuDcc:
    def test_valid_vaccination_es256(self) -> None:
        dsc = f.signer(usages=[f.EKU_VACCINATION])
        verdict = verify(f.dcc(f.vaccination(), dsc), _trust(dsc), T0)
        assert verdict.public() == {
            "valid": True,
            "format": "eu-dcc",
            "issuer": "AT",
            "kind": "vaccination",
            "expires_at": "2026-07-01T12:00:00Z",
            "reason": None,
        }
        assert verdict.subject == "MUSTERFRAU|GABRIELE|1998-02-26"
        assert verdict.name == "Gabriele Musterfrau"

    def test_valid_test_ps256_with_kid_unprotected(self) -> None:
        dsc = f.signer(rsa_key=True)
        verdict = verify(f.dcc(f.test_statement(), dsc, kid_unprotected=True), _trust(dsc), T0)
        assert (verdict.valid, verdict.kind, verdict.reason) == (True, "test", None)

    def test_recovery_without_usage_restriction(self) -> None:
        dsc = f.signer()
        assert verify(f.dcc(f.recovery(), dsc), _trust(dsc), T0).kind == "recovery"

    def test_bad_base45(self) -> None:
        verdict = verify("HC1:abc~!", _trust(), T0)
        assert (verdict.valid, verdict.format, verdict.reason) == (False, "eu-dcc", "undecodable")

    def test_bad_zlib(self) -> None:
        code = "HC1:" + base45.b45encode(b"not zlib at all").decode()
        assert verify(code, _trust(), T0).reason == "undecodable"

    def test_truncated_zlib(self) -> None:
        dsc = f.signer()
        whole = zlib.compress(f.sign1(f.vaccination(), dsc))
        code = "HC1:" + base45.b45encode(whole[:-8]).decode()
        assert verify(code, _trust(dsc), T0).reason == "undecodable"

    def test_not_cose(self) -> None:
        code = f.hc1(cbor2.dumps({"hello": "world"}))
        assert verify(code, _trust(), T0).reason == "undecodable"

    def test_signature_does_not_verify(self) -> None:
        dsc = f.signer()
        verdict = verify(f.dcc(f.vaccination(), dsc, tamper=True), _trust(dsc), T0)
        assert (verdict.valid, verdict.reason) == (False, "signature_invalid")

    def test_signed_by_another_key_under_the_same_kid(self) -> None:
        listed, impostor = f.signer(), f.signer()
        forged = f.Signer(impostor.key, listed.certificate)  # kid of the listed certificate
        verdict = verify(f.dcc(f.vaccination(), forged), _trust(listed), T0)
        assert verdict.reason == "signature_invalid"

    def test_kid_not_in_the_list(self) -> None:
        dsc, other = f.signer(), f.signer()
        verdict = verify(f.dcc(f.vaccination(), dsc), _trust(other), T0)
        assert (verdict.valid, verdict.issuer, verdict.reason) == (False, "AT", "unknown_key")

    def test_expired_certificate(self) -> None:
        dsc = f.signer(not_before=T0 - timedelta(days=400), not_after=T0 - timedelta(seconds=1))
        assert verify(f.dcc(f.vaccination(), dsc), _trust(dsc), T0).reason == "expired"

    def test_certificate_not_yet_valid(self) -> None:
        dsc = f.signer(not_before=T0 + timedelta(hours=1))
        assert verify(f.dcc(f.vaccination(), dsc), _trust(dsc), T0).reason == "not_yet_valid"

    def test_recovery_signed_by_a_test_only_key(self) -> None:
        dsc = f.signer(usages=[f.EKU_TEST])
        verdict = verify(f.dcc(f.recovery(), dsc), _trust(dsc), T0)
        assert (verdict.valid, verdict.kind, verdict.reason) == (False, None, "key_usage")

    def test_test_statement_signed_by_a_test_key(self) -> None:
        dsc = f.signer(usages=[f.EKU_TEST, "1.3.6.1.5.5.7.3.2"])
        assert verify(f.dcc(f.test_statement(), dsc), _trust(dsc), T0).valid

    def test_empty_usage_restricts_nothing(self) -> None:
        """An extended key usage naming no purpose (EU vector CO15): cryptography refuses it."""
        dsc = f.signer(raw_usage=b"\x30\x00")
        assert verify(f.dcc(f.recovery(), dsc), _trust(dsc), T0).kind == "recovery"

    def test_unreadable_usage_signs_nothing(self) -> None:
        dsc = f.signer(raw_usage=b"\x04\x01\x00")  # an OCTET STRING where a SEQUENCE belongs
        assert verify(f.dcc(f.vaccination(), dsc), _trust(dsc), T0).reason == "key_usage"

    def test_usage_is_judged_before_the_schema(self) -> None:
        """EU vector CO8: a test statement under a vaccination-only key fails on key usage."""
        dsc = f.signer(usages=[f.EKU_VACCINATION])
        broken = f.test_statement(sc=1613824496000)  # an integer where a date-time belongs
        assert verify(f.dcc(broken, dsc), _trust(dsc), T0).reason == "key_usage"

    def test_time_is_judged_before_the_schema(self) -> None:
        """EU vectors CO16/CO17: a payload no schema accepts still fails on its clock first."""
        dsc = f.signer()
        broken = f.test_statement(sc=1613824496000)
        assert verify(f.dcc(broken, dsc, exp=T0), _trust(dsc), T0).reason == "expired"
        later = f.dcc(broken, dsc, iat=T0 + timedelta(hours=1))
        assert verify(later, _trust(dsc), T0).reason == "not_yet_valid"
        assert verify(f.dcc(broken, dsc), _trust(dsc), T0).reason == "schema_invalid"

    def test_payload_breaking_the_schema(self) -> None:
        dsc = f.signer()
        broken = f.vaccination(dn=0)  # dose numbers start at 1
        assert verify(f.dcc(broken, dsc), _trust(dsc), T0).reason == "schema_invalid"

    def test_two_statement_groups_break_the_schema(self) -> None:
        dsc = f.signer()
        both = {**f.vaccination(), "t": f.test_statement()["t"]}
        assert verify(f.dcc(both, dsc), _trust(dsc), T0).reason == "schema_invalid"

    def test_missing_hcert_claim(self) -> None:
        dsc = f.signer()
        code = f.dcc(None, dsc, claims={1: "AT", 4: int((T0 + timedelta(days=1)).timestamp())})
        assert verify(code, _trust(dsc), T0).reason == "schema_invalid"

    def test_cwt_expired(self) -> None:
        dsc = f.signer()
        code = f.dcc(f.vaccination(), dsc, exp=T0)
        verdict = verify(code, _trust(dsc), T0)
        assert (verdict.reason, verdict.expires_at) == ("expired", None)
        assert verify(code, _trust(dsc), T0 - timedelta(seconds=1)).valid

    def test_cwt_issued_in_the_future(self) -> None:
        dsc = f.signer()
        code = f.dcc(f.vaccination(), dsc, iat=T0 + timedelta(minutes=1))
        assert verify(code, _trust(dsc), T0).reason == "not_yet_valid"

    def test_at_moves_the_verdict(self) -> None:
        dsc = f.signer(not_after=T0 + timedelta(days=10))
        code = f.dcc(f.vaccination(), dsc)
        assert verify(code, _trust(dsc), T0).valid
        assert verify(code, _trust(dsc), T0 + timedelta(days=11)).reason == "expired"


class TestCityBrain:
    def test_valid_foreign_code(self) -> None:
        shanghai = f.city()
        verdict = verify(shanghai.code(colour="yellow"), _trust(cities=[shanghai]), T0)
        assert verdict.public() == {
            "valid": True,
            "format": "citybrain",
            "issuer": shanghai.iss,
            "kind": None,
            "expires_at": "2026-06-01T12:01:30Z",
            "reason": None,
        }
        assert verdict.colour == "yellow"

    def test_unknown_issuer(self) -> None:
        shanghai, suzhou = f.city(), f.city("https://citybrain.suzhou.example")
        verdict = verify(suzhou.code(), _trust(cities=[shanghai]), T0)
        assert (verdict.issuer, verdict.reason) == (suzhou.iss, "unknown_key")

    def test_signature_of_another_key(self) -> None:
        shanghai = f.city()
        code = shanghai.code(key=f.city().key)
        assert verify(code, _trust(cities=[shanghai]), T0).reason == "signature_invalid"

    def test_expired_and_future(self) -> None:
        shanghai = f.city()
        trust = _trust(cities=[shanghai])
        assert verify(shanghai.code(iat=T0 - timedelta(seconds=90)), trust, T0).reason == "expired"
        assert verify(shanghai.code(iat=T0 + timedelta(minutes=5)), trust, T0).reason == (
            "not_yet_valid"
        )

    def test_garbage(self) -> None:
        for code in ["", "CB1:", "CB1:a.b.c", "hello", "CB1:" + "x" * 2000]:
            verdict = verify(code, _trust(), T0)
            assert (verdict.valid, verdict.format, verdict.reason) == (
                False,
                "citybrain",
                "undecodable",
            )
