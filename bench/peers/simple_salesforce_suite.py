"""simple-salesforce (unmodified) against Tributary's Salesforce emulator.

Usage: simple_salesforce_suite.py '<the salesforce JSON line of tributary-sandbox>'

Prints one `PASS name` / `FAIL name: why` line per check and exits 1 if any check failed.
The org must have been started with `--seed-accounts N` (N > 2000) and nothing else written
to it by anyone but this suite's own records (jsforce's suite uses its own names).

Peer quirk: simple-salesforce always builds `https://` URLs from `instance_url`; the emulator
speaks plain HTTP on 127.0.0.1, so the `requests.Session` given to it carries an adapter that
rewrites `https://127.0.0.1:PORT` to `http://127.0.0.1:PORT` before sending. Nothing else in
the library is touched.
"""

import csv
import io
import json
import sys
import time
import traceback
import uuid

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

CFG = json.loads(sys.argv[1])
BASE = CFG["base_url"]
VERSION = CFG["api_version"]
SEEDED = int(CFG["seeded_accounts"])
RUN = uuid.uuid4().hex[:8]
FAST = 0.05  # bulk 2.0 poll interval (seconds); the library's default is 5


class PlainHttpAdapter(HTTPAdapter):
    """Sends https://127.0.0.1:PORT/... as http://127.0.0.1:PORT/... (see module docs)."""

    def __init__(self, secure_prefix, plain_prefix):
        super().__init__()
        self.secure_prefix = secure_prefix
        self.plain_prefix = plain_prefix

    def send(self, request, **kwargs):
        if request.url.startswith(self.secure_prefix):
            request.url = self.plain_prefix + request.url[len(self.secure_prefix):]
        kwargs.pop("verify", None)
        return super().send(request, **kwargs)


def connect():
    session = requests.Session()
    secure = "https://" + BASE.split("://", 1)[1]
    session.mount(secure, PlainHttpAdapter(secure, BASE))
    return Salesforce(
        instance_url=BASE,
        session_id=CFG["access_token"],
        version=VERSION,
        session=session,
    )


SF = connect()
RESULTS = []


def check(name):
    def wrap(fn):
        start = time.monotonic()
        try:
            fn()
            RESULTS.append((name, True, ""))
        except Exception as e:  # noqa: BLE001 - every failure is a failed check
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            RESULTS.append((name, False, detail[:600]))
        RESULTS[-1] = RESULTS[-1] + (time.monotonic() - start,)
        return fn

    return wrap


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def truthy(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(exc):
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


SEEDED_SOQL = "SELECT Id, Name, Industry, AnnualRevenue FROM Account WHERE AccountNumber LIKE 'ACC-%'"


@check("soql: first page of 2000, nextRecordsUrl, query_all through every page")
def _():
    first = SF.query(SEEDED_SOQL)
    eq(first["totalSize"], SEEDED, "totalSize")
    eq(first["done"], False, "done")
    eq(len(first["records"]), 2000, "records on page 1")
    truthy(first["nextRecordsUrl"].startswith(f"/services/data/v{VERSION}/query/"),
           f"nextRecordsUrl shape: {first['nextRecordsUrl']}")
    eq(first["records"][0]["attributes"]["type"], "Account", "attributes.type")
    everything = SF.query_all(SEEDED_SOQL)
    ids = {r["Id"] for r in everything["records"]}
    eq(len(everything["records"]), SEEDED, "records across pages")
    eq(len(ids), SEEDED, "distinct ids")
    truthy(all(r["Name"] and r["Industry"] for r in everything["records"]), "Name and Industry filled")
    truthy(all(isinstance(r["AnnualRevenue"], (int, float)) for r in everything["records"]),
           "AnnualRevenue is a JSON number")


@check("soql: Sforce-Query-Options batchSize=500 and query_more by locator id")
def _():
    page = SF.query(SEEDED_SOQL + " ORDER BY AccountNumber", headers={"Sforce-Query-Options": "batchSize=500"})
    eq(len(page["records"]), 500, "records on page 1")
    seen = [r["Id"] for r in page["records"]]
    pages = 1
    while not page["done"]:
        locator = page["nextRecordsUrl"].rsplit("/", 1)[1]
        page = SF.query_more(locator, identifier_is_url=False,
                             headers={"Sforce-Query-Options": "batchSize=500"})
        seen.extend(r["Id"] for r in page["records"])
        pages += 1
    eq(pages, -(-SEEDED // 500), "pages")
    eq(len(set(seen)), SEEDED, "distinct ids")


@check("sobject: create, get, get with fields, update, delete, get after delete -> 404")
def _():
    name = f"ss-crud-{RUN}"
    res = SF.Account.create({"Name": name, "Industry": "Retail", "AnnualRevenue": 1250000.5,
                             "NumberOfEmployees": 42})
    eq(res["success"], True, "create success")
    eq(res["errors"], [], "create errors")
    acc_id = res["id"]
    truthy(len(acc_id) == 18 and acc_id.startswith("001"), f"18-char 001 id: {acc_id}")
    got = SF.Account.get(acc_id)
    eq(got["Name"], name, "Name")
    eq(got["AnnualRevenue"], 1250000.5, "AnnualRevenue")
    eq(got["NumberOfEmployees"], 42, "NumberOfEmployees")
    eq(got["attributes"]["url"], f"/services/data/v{VERSION}/sobjects/Account/{acc_id}", "attributes.url")
    eq(SF.Account.update(acc_id, {"Industry": "Energy", "BillingCity": "Tulsa"}), 204, "update status")
    got = SF.restful(f"sobjects/Account/{acc_id}", params={"fields": "Industry,BillingCity"})
    eq((got["Industry"], got["BillingCity"]), ("Energy", "Tulsa"), "updated fields")
    eq(SF.Account.delete(acc_id), 204, "delete status")
    try:
        SF.Account.get(acc_id)
        raise AssertionError("get after delete did not fail")
    except SalesforceResourceNotFound as e:
        eq(e.status, 404, "status")
        eq(error_code(e), "NOT_FOUND", "errorCode")


@check("upsert by external id: insert (201) then update, get_by_custom_id")
def _():
    ext = f"SS-PAY-{RUN}"
    eq(SF.Payment__c.upsert(f"PaymentID__c/{ext}", {"Amount__c": 10.5, "Status__c": "Pending"}),
       201, "insert status")
    status = SF.Payment__c.upsert(f"PaymentID__c/{ext}", {"Amount__c": 20.25, "Status__c": "Settled"})
    truthy(status in (200, 204), f"update status {status}")
    got = SF.Payment__c.get_by_custom_id("PaymentID__c", ext)
    eq((got["PaymentID__c"], got["Amount__c"], got["Status__c"]), (ext, 20.25, "Settled"), "record")
    rows = SF.query(f"SELECT Id FROM Payment__c WHERE PaymentID__c = '{ext}'")
    eq(rows["totalSize"], 1, "one record for the external id")


@check("composite: allOrNone with @{ref.id} references")
def _():
    name = f"ss-composite-{RUN}"
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"/services/data/v{VERSION}/sobjects/Account",
             "referenceId": "acct", "body": {"Name": name}},
            {"method": "POST", "url": f"/services/data/v{VERSION}/sobjects/Contact",
             "referenceId": "cont", "body": {"LastName": "Composite", "AccountId": "@{acct.id}"}},
            {"method": "GET", "url": f"/services/data/v{VERSION}/sobjects/Contact/@{{cont.id}}?fields=AccountId",
             "referenceId": "read"},
        ],
    }
    out = SF.restful("composite", method="POST", json=body)
    codes = [r["httpStatusCode"] for r in out["compositeResponse"]]
    eq(codes, [201, 201, 200], "httpStatusCodes")
    acct_id = out["compositeResponse"][0]["body"]["id"]
    eq(out["compositeResponse"][2]["body"]["AccountId"], acct_id, "reference resolved")
    eq([r["referenceId"] for r in out["compositeResponse"]], ["acct", "cont", "read"], "referenceIds")


@check("collections: create, retrieve, update, delete; allOrNone rollback")
def _():
    recs = [{"attributes": {"type": "Account"}, "Name": f"ss-coll-{RUN}-{i}", "Industry": "Finance"}
            for i in range(3)]
    res = SF.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": recs})
    eq([r["success"] for r in res], [True] * 3, "create success")
    ids = [r["id"] for r in res]
    got = SF.restful("composite/sobjects/Account", params={"ids": ",".join(ids), "fields": "Name,Industry"})
    eq([g["Name"] for g in got], [r["Name"] for r in recs], "retrieved in order")
    upd = [{"attributes": {"type": "Account"}, "id": i, "Industry": "Energy"} for i in ids]
    res = SF.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": upd})
    eq([r["success"] for r in res], [True] * 3, "update success")
    rows = SF.query(f"SELECT Industry FROM Account WHERE Name LIKE 'ss-coll-{RUN}-%'")
    eq({r["Industry"] for r in rows["records"]}, {"Energy"}, "updated industry")
    res = SF.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids)})
    eq([r["success"] for r in res], [True] * 3, "delete success")
    eq(SF.query(f"SELECT COUNT() FROM Account WHERE Name LIKE 'ss-coll-{RUN}-%'")["totalSize"], 0,
       "gone after delete")
    bad = [{"attributes": {"type": "Account"}, "Name": f"ss-aon-{RUN}"},
           {"attributes": {"type": "Account"}, "Industry": "no name"}]
    res = SF.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": bad})
    eq([r["success"] for r in res], [False, False], "all failed")
    eq(res[0]["errors"][0]["statusCode"], "ALL_OR_NONE_OPERATION_ROLLED_BACK", "first record's code")
    eq(res[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING", "second record's code")
    eq(SF.query(f"SELECT COUNT() FROM Account WHERE Name = 'ss-aon-{RUN}'")["totalSize"], 0,
       "rolled back")


@check("bulk 2.0 ingest: insert, then upsert by PaymentID__c (create and update paths)")
def _():
    contacts = [{"LastName": f"ss-bulk-{RUN}-{i}", "Email": f"b{i}@example.com"} for i in range(250)]
    res = SF.bulk2.Contact.insert(records=contacts, wait=FAST)
    eq(len(res), 1, "one job")
    eq((res[0]["numberRecordsProcessed"], res[0]["numberRecordsFailed"]), (250, 0), "counts")
    ok = list(csv.DictReader(io.StringIO(SF.bulk2.Contact.get_successful_records(res[0]["job_id"]))))
    eq(len(ok), 250, "successful results rows")
    truthy(all(r["sf__Created"] == "true" and r["sf__Id"].startswith("003") for r in ok),
           "sf__Created / sf__Id")
    eq(SF.query(f"SELECT COUNT() FROM Contact WHERE LastName LIKE 'ss-bulk-{RUN}-%'")["totalSize"], 250,
       "rows in the org")
    pays = [{"PaymentID__c": f"SS-BULK-{RUN}-{i}", "Amount__c": str(i)} for i in range(100)]
    first = SF.bulk2.Payment__c.upsert(records=pays, external_id_field="PaymentID__c", wait=FAST)
    eq((first[0]["numberRecordsProcessed"], first[0]["numberRecordsFailed"]), (100, 0), "first upsert")
    again = [dict(p, Amount__c=str(1000 + i)) for i, p in enumerate(pays)]
    second = SF.bulk2.Payment__c.upsert(records=again, external_id_field="PaymentID__c", wait=FAST)
    eq(second[0]["numberRecordsFailed"], 0, "second upsert failures")
    ok = list(csv.DictReader(io.StringIO(SF.bulk2.Payment__c.get_successful_records(second[0]["job_id"]))))
    truthy(all(r["sf__Created"] == "false" for r in ok), "second upsert only updated")
    rows = SF.query_all(f"SELECT PaymentID__c, Amount__c FROM Payment__c WHERE PaymentID__c LIKE 'SS-BULK-{RUN}-%'")
    eq(rows["totalSize"], 100, "one record per external id")
    eq(sorted(r["Amount__c"] for r in rows["records"]), [float(1000 + i) for i in range(100)], "amounts")
    failed = SF.bulk2.Contact.insert(records=[{"LastName": ""}, {"LastName": f"ss-bulk-{RUN}-x"}], wait=FAST)
    eq((failed[0]["numberRecordsProcessed"], failed[0]["numberRecordsFailed"]), (2, 1), "partial failure")
    bad = list(csv.DictReader(io.StringIO(SF.bulk2.Contact.get_failed_records(failed[0]["job_id"]))))
    truthy(bad[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING"), f"sf__Error: {bad[0]['sf__Error']}")


@check("bulk 2.0 query: several pages through Sforce-Locator (max_records=1000)")
def _():
    pages = list(SF.bulk2.Account.query(
        "SELECT Id, Name, AnnualRevenue FROM Account WHERE AccountNumber LIKE 'ACC-%'",
        max_records=1000, wait=FAST))
    eq(len(pages), -(-SEEDED // 1000), "pages")
    rows = []
    for page in pages:
        reader = csv.DictReader(io.StringIO(page))
        eq(reader.fieldnames, ["Id", "Name", "AnnualRevenue"], "header on every page")
        rows.extend(reader)
    eq(len(rows), SEEDED, "rows")
    eq(len({r["Id"] for r in rows}), SEEDED, "distinct ids")


@check("errors: INVALID_FIELD, MALFORMED_QUERY, NOT_FOUND, REQUIRED_FIELD_MISSING, INVALID_TYPE")
def _():
    cases = [
        (lambda: SF.query("SELECT Nope__x FROM Account"), SalesforceMalformedRequest, "INVALID_FIELD"),
        (lambda: SF.query("SELECT Id FROM Account WHERE"), SalesforceMalformedRequest, "MALFORMED_QUERY"),
        (lambda: SF.query("SELECT Id FROM NoSuchThing"), SalesforceMalformedRequest, "INVALID_TYPE"),
        (lambda: SF.Account.get("001000000000000AAA"), SalesforceResourceNotFound, "NOT_FOUND"),
        (lambda: SF.Account.create({"Industry": "Retail"}), SalesforceMalformedRequest, "REQUIRED_FIELD_MISSING"),
        (lambda: SF.Account.create({"Name": "x", "Bogus": 1}), SalesforceMalformedRequest, "INVALID_FIELD"),
    ]
    for call, exc_type, code in cases:
        try:
            call()
            raise AssertionError(f"{code}: no error raised")
        except exc_type as e:
            eq(error_code(e), code, "errorCode")


@check("describe, limits, api usage header")
def _():
    d = SF.Account.describe()
    names = {f["name"] for f in d["fields"]}
    truthy({"Id", "Name", "Industry", "AnnualRevenue"} <= names, "Account fields")
    eq(d["keyPrefix"], "001", "keyPrefix")
    g = SF.describe()
    truthy(any(s["name"] == "Account" for s in g["sobjects"]), "Account in describe global")
    lim = SF.limits()
    truthy(lim["DailyApiRequests"]["Max"] > 0, "DailyApiRequests")
    truthy("api-usage" in SF.api_usage, f"api usage parsed: {SF.api_usage}")


failed = [r for r in RESULTS if not r[1]]
for name, ok, detail, secs in RESULTS:
    print(f"{'PASS' if ok else 'FAIL'} simple-salesforce: {name} ({secs:.2f}s)" + ("" if ok else f"\n     {detail}"))
sys.exit(1 if failed else 0)
