"""`meterbot sync-agreements` from the command line, against the Agreement Service stand-in."""

from __future__ import annotations

import pytest

from bot.cli import main
from core.db import open_database
from tests.agreements.conftest import ACCOUNT, ARN, START, apply_plans, link_account
from tests.fakes.agreements import AgreementStandIn


def test_sync_agreements_on_the_command_line(tmp_path, monkeypatch, agreements, capsys):
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = open_database(url)
    apply_plans(engine)
    link_account(engine)
    engine.dispose()
    monkeypatch.setenv("METERBOT_DATABASE_URL", url)
    for name, value in agreements.env().items():
        monkeypatch.setenv(name, value)
    agreements.add_agreement(
        "agmt-acme", account=ACCOUNT, license_arn=ARN, start=START, entitlements={"storage_tb": 60}
    )
    agreements.add_agreement(
        "agmt-gpu", account="444455556666", license_arn=ARN, start=START, entitlements={"gpu": 1}
    )

    # One agreement names a dimension the plans file lacks: done, with something to fix (3).
    assert main(["sync-agreements", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "new: Acme Manufacturing (agmt-acme, contract)" in out
    assert "dimension 'gpu' is not in the plans file" in out
    # Credentials go in the signature only; nothing printed names them.
    assert "testing" not in out
    assert all("Credential=testing/" in h["authorization"] for h in agreements.headers)


@pytest.mark.parametrize("code", ["AccessDeniedException"])
def test_a_refused_sync_fails_with_one_line(tmp_path, monkeypatch, capsys, code):
    monkeypatch.setenv("METERBOT_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    with AgreementStandIn() as aws:
        for name, value in aws.env().items():
            monkeypatch.setenv(name, value)
        aws.fail_next(code, calls=10)
        assert main(["sync-agreements", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "meterbot: Agreement Service SearchAgreements: AccessDeniedException: the AWS "
        "credentials may not read agreements: allow aws-marketplace:SearchAgreements, "
        "GetAgreementTerms and GetAgreementEntitlements"
    ]
