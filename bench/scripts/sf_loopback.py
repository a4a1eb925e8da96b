"""Shared by the simple-salesforce benchmark scripts: a Salesforce connection to a loopback
server, and the result line.

simple-salesforce builds every URL as `https://{instance}/…`. Instead of putting the
benchmark server behind TLS (which would charge simple-salesforce alone for encryption), a
requests transport adapter mounted for `https://127.0.0.1` sends those requests as plain
HTTP to the same host and port. Nothing else in the library is changed.
"""
import json
import resource
import sys

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce


class LoopbackPlainHttp(HTTPAdapter):
    """Sends `https://127.0.0.1…` requests as `http://127.0.0.1…`."""

    def send(self, request, **kwargs):
        if request.url.startswith("https://"):
            request.url = "http://" + request.url[len("https://"):]
        return super().send(request, **kwargs)


def connect(base_url, token, version):
    session = requests.Session()
    session.mount("https://127.0.0.1", LoopbackPlainHttp())
    instance = base_url.replace("http://", "https://", 1)
    return Salesforce(instance_url=instance, session_id=token, version=version, session=session)


def peak_rss_kib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report(case, client, n, seconds):
    print(json.dumps({
        "case": case,
        "client": client,
        "n": n,
        "seconds": seconds,
        "per_sec": n / seconds if seconds > 0 else 0.0,
        "peak_rss_kib": peak_rss_kib(),
    }))
    sys.stdout.flush()
