"""SOQL read through nextRecordsUrl with simple-salesforce's lazy `query_all_iter`.

usage: soql_simple_salesforce.py BASE_URL TOKEN VERSION SOQL
Prints one JSON result line (records/s, this process's peak RSS).
"""
import sys
import time

from sf_loopback import connect, report


def main():
    base_url, token, version, soql = sys.argv[1:5]
    sf = connect(base_url, token, version)
    started = time.perf_counter()
    n = 0
    for _record in sf.query_all_iter(soql):
        n += 1
    report("soql", "simple-salesforce", n, time.perf_counter() - started)


if __name__ == "__main__":
    main()
