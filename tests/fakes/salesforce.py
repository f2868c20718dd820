"""A local HTTPS stand-in for the Salesforce APIs simple-salesforce calls.

Answers the SOAP login (username/password + token), SOQL `query` with `nextRecordsUrl`
pages and `queryMore`, and Salesforce's error bodies: INVALID_FIELD for a column the
Account object lacks, INVALID_TYPE for another object, INVALID_SESSION_ID for a bad
token, INVALID_LOGIN for a wrong password. Certificates come from trustme; pass
`ca_path` as the requests session's `verify`.

The SOQL parser is deliberately small: `SELECT a, b.c FROM Account [WHERE ...]`; the
WHERE clause is checked for unknown columns and otherwise ignored (every account is
returned), which is what the sync under test must cope with anyway.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import trustme

ACCOUNT_FIELDS = {
    "Id",
    "Name",
    "AWS_Customer_Identifier__c",
    "AWS_Account_Id__c",
    "AWS_License_Arn__c",
    "Usage_Key__c",
    "Plan__c",
}
_SELECT = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)(?P<rest>.*)$", re.I | re.S
)
_WHERE_FIELD = re.compile(r"\b([A-Za-z_][\w.]*)\s*(?:!=|=|<|>|\bLIKE\b|\bIN\b)", re.I)


@dataclass
class FakeSalesforce:
    """State of the stand-in: accounts, credentials, page size, and the calls it received."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2000
    username: str = "ops@example.com"
    password: str = "s3cret-pass"
    token: str = "TOKEN123"
    sessions: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with 503 first (to exercise retries)
    base_url: str = ""
    ca_path: str = ""
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def new_session(self) -> str:
        session_id = "00D!" + secrets.token_hex(16)
        self.sessions.add(session_id)
        return session_id


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSalesforce

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self.fake.calls.append(("GET", self.path))
        if self._failing():
            return
        url = urlsplit(self.path)
        if not re.match(r"^/services/data/v[\d.]+/query/?", url.path):
            return self._json(404, [{"errorCode": "NOT_FOUND", "message": "unknown resource"}])
        if self._bearer() not in self.fake.sessions:
            return self._json(
                401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
            )
        cursor = url.path.rstrip("/").rsplit("/", 1)[-1]
        if cursor != "query":
            return self._page(cursor)
        self._query(parse_qs(url.query).get("q", [""])[0])

    def do_POST(self) -> None:
        self.fake.calls.append(("POST", self.path))
        if self._failing():
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if not re.match(r"^/services/Soap/u/[\d.]+$", self.path):
            return self._json(404, [{"errorCode": "NOT_FOUND", "message": "unknown resource"}])
        tree = ElementTree.fromstring(body)
        username = next((e.text for e in tree.iter() if e.tag.endswith("username")), None)
        password = next((e.text for e in tree.iter() if e.tag.endswith("password")), None)
        fake = self.fake
        if username != fake.username or password != fake.password + fake.token:
            return self._xml(500, _soap_fault())
        self._xml(200, _soap_login(fake.new_session(), fake.base_url))

    def _query(self, soql: str) -> None:
        match = _SELECT.match(soql)
        if not match:
            return self._json(
                400, [{"errorCode": "MALFORMED_QUERY", "message": "unexpected token"}]
            )
        if match["object"] != "Account":
            message = f"sObject type '{match['object']}' is not supported."
            return self._json(400, [{"errorCode": "INVALID_TYPE", "message": message}])
        fields = [f.strip() for f in match["fields"].split(",")]
        referenced = fields + _WHERE_FIELD.findall(match["rest"])
        unknown = [f for f in referenced if f.split(".")[0] not in ACCOUNT_FIELDS]
        if unknown:
            message = (
                f"\n{soql}\n ERROR at Row:1:Column:8\nNo such column '{unknown[0]}' on entity "
                "'Account'. If you are attempting to use a custom field, be sure to append the "
                "'__c' after the custom field name."
            )
            return self._json(400, [{"errorCode": "INVALID_FIELD", "message": message}])
        records = [_record(account, fields) for account in self.fake.accounts]
        cursor = "01g" + secrets.token_hex(6)
        self.fake._cursors[cursor] = records
        self._page(f"{cursor}-0")

    def _page(self, cursor_offset: str) -> None:
        cursor, _, offset_text = cursor_offset.rpartition("-")
        records = self.fake._cursors.get(cursor)
        if records is None or not offset_text.isdigit():
            message = "invalid query locator"
            return self._json(400, [{"errorCode": "INVALID_QUERY_LOCATOR", "message": message}])
        offset = int(offset_text)
        end = offset + self.fake.page_size
        page: dict[str, Any] = {
            "totalSize": len(records),
            "done": end >= len(records),
            "records": records[offset:end],
        }
        if not page["done"]:
            page["nextRecordsUrl"] = f"/services/data/v59.0/query/{cursor}-{end}"
        self._json(200, page)

    def _failing(self) -> bool:
        if self.fake.fail_next <= 0:
            return False
        self.fake.fail_next -= 1
        self._json(503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "try again"}])
        return True

    def _bearer(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _xml(self, status: int, body: str) -> None:
        self._send(status, body.encode(), "text/xml")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _record(account: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {
            "type": "Account",
            "url": f"/services/data/v59.0/sobjects/Account/{account['Id']}",
        }
    }
    for name in fields:
        record[name] = account.get(name)
    return record


def _soap_login(session_id: str, base_url: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>
<serverUrl>{base_url}/services/Soap/u/59.0/00D000000000001</serverUrl>
<sessionId>{session_id}</sessionId></result></loginResponse></soapenv:Body></soapenv:Envelope>"""


def _soap_fault() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>
<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password,
security token; or user locked out.</faultstring><detail><sf:LoginFault>
<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username,
password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>
</soapenv:Fault></soapenv:Body></soapenv:Envelope>"""


class SalesforceServer:
    """The stand-in on 127.0.0.1:<free port> over HTTPS, in a background thread."""

    def __init__(self, folder: Path, fake: FakeSalesforce | None = None) -> None:
        self.fake = fake or FakeSalesforce()
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.fake.ca_path = str(folder / "salesforce-ca.pem")
        ca.cert_pem.write_to_path(self.fake.ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.fake.base_url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeSalesforce:
        self._thread.start()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
