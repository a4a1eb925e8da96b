"""Bulk API 2.0 insert with simple-salesforce's `bulk2`, then the successful results read back.

usage: bulk_simple_salesforce.py BASE_URL TOKEN VERSION OBJECT CSV_FILE ROWS POLL_SECONDS RESULTS_FILE

`sf.bulk2.<OBJECT>.insert(csv_file=…, wait=POLL_SECONDS)` (the library splits the file into
jobs of at most 100 MB, uploads each, closes it and polls it), then for each job
`get_successful_records(job_id, file=RESULTS_FILE)` (streamed to a file by the library) and
the rows of that file counted with `csv.reader`. The CSV file is written beforehand, outside
the measured part. Prints one JSON result line.
"""
import csv
import os
import sys
import time

from sf_loopback import connect, report


def main():
    base_url, token, version, obj, csv_file, rows, poll, results_file = sys.argv[1:9]
    rows = int(rows)
    sf = connect(base_url, token, version)
    started = time.perf_counter()
    jobs = getattr(sf.bulk2, obj).insert(csv_file=csv_file, wait=float(poll))
    failed = sum(int(j["numberRecordsFailed"]) for j in jobs)
    if failed:
        raise SystemExit(f"{failed} rows failed")
    read = 0
    for job in jobs:
        getattr(sf.bulk2, obj).get_successful_records(job["job_id"], file=results_file)
        with open(results_file, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            for _row in reader:
                read += 1
    elapsed = time.perf_counter() - started
    os.remove(results_file)
    if read != rows:
        raise SystemExit(f"read {read} successful results, expected {rows}")
    report("bulk", "simple-salesforce", rows, elapsed)


if __name__ == "__main__":
    main()
