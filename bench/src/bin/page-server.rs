//! `page-server`: a server that costs next to nothing, so a benchmark measures its client.
//!
//! ```text
//! page-server [--soql-records N] [--odata-pages DIR]
//! ```
//!
//! On `127.0.0.1:<free port>` it serves, after checking the bearer token:
//!
//! * **SOQL**: `GET /services/data/v{any}/query?q=…` and the `nextRecordsUrl` links
//!   (`/services/data/v67.0/query/01gBench00000001-2000`, …): N Account records
//!   ([`tributary_bench::soql_account`]) in pages of 2,000, serialised once at start-up, so
//!   every client gets the same bytes and a page costs a memory copy.
//! * **OData**: with `--odata-pages DIR`, the pages `odata-read --capture` saved from a live
//!   server, each at the path and query it was fetched from.
//! * **Bulk API 2.0 ingest** stand-in: create job, `PUT …/batches` (rows counted, CSV kept to
//!   echo in the results), `PATCH` `UploadComplete`, job info (`JobComplete` as soon as the
//!   upload is complete), `successfulResults/` (every row with `sf__Id`, `sf__Created`),
//!   `failedResults/` and `unprocessedrecords/` (headers only), `DELETE`. Shapes as in
//!   reference §3.1; no validation, no processing time.
//!
//! Prints one JSON line (`base_url`, `access_token`, `api_version`) when ready and serves until
//! stdin reaches end of file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool: fail loudly

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Value, json};
use tributary_bench::{API_VERSION, CsvCounter, SOQL_PAGE_SIZE, TOKEN, soql_account};

/// Jobs whose uploaded CSV is kept; older jobs' data is dropped.
const KEEP_JOBS: usize = 4;

struct Job {
    number: u64,
    object: String,
    operation: String,
    state: &'static str,
    rows: u64,
    csv: Vec<Bytes>,
}

struct Server {
    soql_pages: Vec<Bytes>,
    odata_pages: HashMap<String, Bytes>,
    jobs: Mutex<HashMap<String, Job>>,
    next_job: Mutex<u64>,
}

fn soql_pages(records: usize) -> Vec<Bytes> {
    let pages = records.div_ceil(SOQL_PAGE_SIZE).max(1);
    (0..pages)
        .map(|p| {
            let start = p * SOQL_PAGE_SIZE;
            let end = (start + SOQL_PAGE_SIZE).min(records);
            let mut body = String::with_capacity((end - start) * 800 + 200);
            body.push_str(&format!("{{\"totalSize\":{records},"));
            if end < records {
                body.push_str(&format!(
                    "\"done\":false,\"nextRecordsUrl\":\"/services/data/v{API_VERSION}/query/01gBench00000001-{end}\","
                ));
            } else {
                body.push_str("\"done\":true,");
            }
            body.push_str("\"records\":[");
            for i in start..end {
                if i > start {
                    body.push(',');
                }
                body.push_str(&soql_account(i).to_string());
            }
            body.push_str("]}");
            Bytes::from(body)
        })
        .collect()
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn odata_pages(dir: &Path) -> HashMap<String, Bytes> {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    index
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let target = entry["target"].as_str().unwrap();
            let file = entry["file"].as_str().unwrap();
            (
                decode(target),
                Bytes::from(std::fs::read(dir.join(file)).unwrap()),
            )
        })
        .collect()
}

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

fn sf_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        json!([{ "message": message, "errorCode": code }]).to_string(),
    )
}

fn job_info(id: &str, job: &Job) -> Value {
    let mut info = json!({
        "id": id,
        "operation": job.operation,
        "object": job.object,
        "createdById": "005Bench0000000001",
        "createdDate": "2026-11-22T10:00:00.000+0000",
        "systemModstamp": "2026-11-22T10:00:00.000+0000",
        "state": job.state,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": 67.0,
        "jobType": "V2Ingest",
        "contentUrl": format!("services/data/v{API_VERSION}/jobs/ingest/{id}/batches"),
        "lineEnding": "LF",
        "columnDelimiter": "COMMA"
    });
    if job.state == "JobComplete" {
        let extra = json!({
            "numberRecordsProcessed": job.rows,
            "numberRecordsFailed": 0,
            "retries": 0,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0
        });
        for (k, v) in extra.as_object().unwrap() {
            info[k] = v.clone();
        }
    }
    info
}

/// The successful results of a job: its CSV with `"sf__Id","sf__Created",` before each line
/// (the header gets the column names), streamed as it is rewritten.
fn successful_results(number: u64, chunks: Vec<Bytes>) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let mut in_quotes = false;
        let mut at_line_start = true;
        let mut row = 0u64;
        let mut out = Vec::with_capacity(96 * 1024);
        for chunk in chunks {
            for &b in chunk.iter() {
                if at_line_start {
                    if row == 0 {
                        out.extend_from_slice(b"\"sf__Id\",\"sf__Created\",");
                    } else {
                        out.extend_from_slice(
                            format!("\"a01B{number:04}{row:010}\",\"true\",").as_bytes(),
                        );
                    }
                    row += 1;
                    at_line_start = false;
                }
                out.push(b);
                match b {
                    b'"' => in_quotes = !in_quotes,
                    b'\n' if !in_quotes => at_line_start = true,
                    _ => {}
                }
            }
            if out.len() >= 64 * 1024 {
                let full = std::mem::replace(&mut out, Vec::with_capacity(96 * 1024));
                if tx.send(Ok(Bytes::from(full))).await.is_err() {
                    return;
                }
            }
        }
        if !out.is_empty() {
            let _ = tx.send(Ok(Bytes::from(out))).await;
        }
    });
    Body::from_stream(tokio_stream_from(rx))
}

fn tokio_stream_from<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send + 'static {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

/// The header line of a job's CSV.
fn csv_header(chunks: &[Bytes]) -> Vec<u8> {
    let mut header = Vec::new();
    for chunk in chunks {
        if let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            header.extend_from_slice(&chunk[..=end]);
            return header;
        }
        header.extend_from_slice(chunk);
    }
    header
}

async fn bulk(server: &Server, method: &Method, rest: &[&str], req: Request) -> Response {
    match (method, rest) {
        (&Method::POST, []) => {
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let spec: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let number = {
                let mut next = server.next_job.lock().unwrap();
                *next += 1;
                *next
            };
            let id = format!("750Bench{number:010}");
            let job = Job {
                number,
                object: spec["object"].as_str().unwrap_or("Account").to_owned(),
                operation: spec["operation"].as_str().unwrap_or("insert").to_owned(),
                state: "Open",
                rows: 0,
                csv: Vec::new(),
            };
            let info = job_info(&id, &job);
            let mut jobs = server.jobs.lock().unwrap();
            jobs.insert(id, job);
            for job in jobs.values_mut() {
                if job.number + (KEEP_JOBS as u64) <= number {
                    job.csv = Vec::new();
                }
            }
            json_response(StatusCode::OK, info.to_string())
        }
        (&Method::PUT, [id, "batches"]) => {
            let mut counter = CsvCounter::default();
            let mut chunks = Vec::new();
            let mut stream = req.into_body().into_data_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.unwrap();
                counter.feed(&chunk);
                chunks.push(chunk);
            }
            let mut jobs = server.jobs.lock().unwrap();
            match jobs.get_mut(*id) {
                Some(job) => {
                    job.rows = counter.records();
                    job.csv = chunks;
                    StatusCode::CREATED.into_response()
                }
                None => sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such job"),
            }
        }
        (&Method::PATCH, [id]) => {
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let state: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let mut jobs = server.jobs.lock().unwrap();
            let Some(job) = jobs.get_mut(*id) else {
                return sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such job");
            };
            job.state = match state["state"].as_str() {
                Some("UploadComplete") => "UploadComplete",
                _ => "Aborted",
            };
            json_response(StatusCode::OK, job_info(id, job).to_string())
        }
        (&Method::GET, [id]) => {
            let mut jobs = server.jobs.lock().unwrap();
            let Some(job) = jobs.get_mut(*id) else {
                return sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such job");
            };
            if job.state == "UploadComplete" {
                job.state = "JobComplete";
            }
            json_response(StatusCode::OK, job_info(id, job).to_string())
        }
        (&Method::GET, [id, kind]) | (&Method::GET, [id, kind, ""]) => {
            let jobs = server.jobs.lock().unwrap();
            let Some(job) = jobs.get(*id) else {
                return sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such job");
            };
            let csv = |body: Body| {
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv")], body).into_response()
            };
            match *kind {
                "successfulResults" => csv(successful_results(job.number, job.csv.clone())),
                "failedResults" => {
                    let mut body = b"\"sf__Id\",\"sf__Error\",".to_vec();
                    body.extend_from_slice(&csv_header(&job.csv));
                    csv(Body::from(body))
                }
                "unprocessedrecords" => csv(Body::from(csv_header(&job.csv))),
                _ => sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such resource"),
            }
        }
        (&Method::DELETE, [id]) => {
            server.jobs.lock().unwrap().remove(*id);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "not served here"),
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == TOKEN)
}

async fn handle(State(server): State<Arc<Server>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req
        .uri()
        .query()
        .filter(|q| !q.is_empty())
        .map(str::to_owned);

    // OData pages first: they are looked up by path and query exactly.
    if method == Method::GET && !server.odata_pages.is_empty() {
        let target = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        if let Some(page) = server.odata_pages.get(&decode(&target)) {
            return (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        "application/json;odata.metadata=minimal",
                    ),
                    (header::HeaderName::from_static("odata-version"), "4.0"),
                ],
                page.clone(),
            )
                .into_response();
        }
    }

    if !authorized(req.headers()) {
        return sf_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        );
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["services", "data", version, rest @ ..] if version.starts_with('v') => match rest {
            ["query"] | ["query", ""] if method == Method::GET => json_response(
                StatusCode::OK,
                server.soql_pages.first().cloned().unwrap_or_default(),
            ),
            ["query", locator] if method == Method::GET => {
                let offset = locator
                    .rsplit_once('-')
                    .and_then(|(_, n)| n.parse::<usize>().ok());
                match offset.and_then(|o| server.soql_pages.get(o / SOQL_PAGE_SIZE)) {
                    Some(page) => json_response(StatusCode::OK, page.clone()),
                    None => sf_error(
                        StatusCode::BAD_REQUEST,
                        "INVALID_QUERY_LOCATOR",
                        "invalid query locator",
                    ),
                }
            }
            ["jobs", "ingest", rest @ ..] => {
                let rest: Vec<&str> = rest.to_vec();
                bulk(&server, &method, &rest, req).await
            }
            _ => sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "not served here"),
        },
        _ => sf_error(StatusCode::NOT_FOUND, "NOT_FOUND", "not served here"),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut soql_records = 100_000usize;
    let mut odata_dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--soql-records" => soql_records = it.next().unwrap().parse().unwrap(),
            "--odata-pages" => odata_dir = Some(PathBuf::from(it.next().unwrap())),
            other => panic!("unknown argument {other:?}"),
        }
    }
    let server = Arc::new(Server {
        soql_pages: soql_pages(soql_records),
        odata_pages: odata_dir.as_deref().map(odata_pages).unwrap_or_default(),
        jobs: Mutex::new(HashMap::new()),
        next_job: Mutex::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    println!(
        "{}",
        json!({
            "base_url": format!("http://{addr}"),
            "access_token": TOKEN,
            "api_version": API_VERSION,
            "soql_records": soql_records,
            "odata_pages": server.odata_pages.len(),
        })
    );
    // Serve until the parent closes our stdin.
    std::thread::spawn(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
        std::process::exit(0);
    });
    let app = Router::new().fallback(handle).with_state(server);
    axum::serve(listener, app).await.unwrap();
}
