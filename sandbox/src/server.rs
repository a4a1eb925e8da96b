//! Start any emulator's [`axum::Router`] on `127.0.0.1:0` with the fault layer applied.
//!
//! The server accepts connections itself (hyper HTTP/1.1, one task per connection) rather
//! than through `axum::serve`, because a lost response must really be lost: when the
//! [`FaultController`] says [`FaultOutcome::DropResponse`], the handler runs to completion
//! (its state change is committed) and then the connection task is ended, closing the socket
//! without a status line ever being written. The client sees a transport error, exactly like a
//! response lost in the network.
//!
//! Every request gets `axum::extract::ConnectInfo<SocketAddr>` in its extensions, and is
//! counted by path ([`ServerHandle::request_count`]), including requests a fault answered.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::fault::{FaultController, FaultOutcome, FaultPlan};

/// How long [`ServerHandle::shutdown`] lets open connections finish before closing them.
const GRACE: Duration = Duration::from_secs(5);

/// Per-path request counters of one server. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct RequestLog {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestLog {
    fn record(&self, path: &str) {
        let mut g = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *g.entry(path.to_owned()).or_insert(0) += 1;
    }

    /// Requests seen for exactly `path`.
    #[must_use]
    pub fn count(&self, path: &str) -> u64 {
        let g = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.get(path).copied().unwrap_or(0)
    }

    /// All counters, by path.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Total requests seen.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }
}

/// Builds and starts a server for a router. See [`start`] for the short form.
#[derive(Debug)]
pub struct ServerBuilder {
    router: Router,
    faults: FaultController,
}

impl ServerBuilder {
    /// A builder for `router`, with no faults.
    #[must_use]
    pub fn new(router: Router) -> Self {
        Self {
            router,
            faults: FaultController::default(),
        }
    }

    /// Start with this fault plan.
    #[must_use]
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = FaultController::new(plan);
        self
    }

    /// Share an existing controller (e.g. one controller for several servers).
    #[must_use]
    pub fn fault_controller(mut self, controller: FaultController) -> Self {
        self.faults = controller;
        self
    }

    /// Bind `127.0.0.1:0` and start serving in the background of the current tokio runtime.
    ///
    /// # Errors
    ///
    /// The I/O error if the listener cannot be bound.
    pub async fn start(self) -> io::Result<ServerHandle> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let ctx = Ctx {
            router: self.router,
            faults: self.faults.clone(),
            requests: RequestLog::default(),
        };
        let requests = ctx.requests.clone();
        let task = tokio::spawn(accept_loop(listener, ctx, stop_rx));
        tracing::debug!(%addr, "sandbox server started");
        Ok(ServerHandle {
            addr,
            base_url: format!("http://{addr}"),
            faults: self.faults,
            requests,
            stop: stop_tx,
            task: Some(task),
        })
    }
}

/// Start `router` on `127.0.0.1:0` with no faults.
///
/// # Errors
///
/// The I/O error if the listener cannot be bound.
pub async fn start(router: Router) -> io::Result<ServerHandle> {
    ServerBuilder::new(router).start().await
}

/// A running server. Dropping it stops the server (open connections are closed in the
/// background); [`ServerHandle::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    base_url: String,
    faults: FaultController,
    requests: RequestLog,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The live fault controller: change faults while the server runs.
    #[must_use]
    pub fn faults(&self) -> &FaultController {
        &self.faults
    }

    /// The per-path request counters.
    #[must_use]
    pub fn requests(&self) -> &RequestLog {
        &self.requests
    }

    /// Requests seen for exactly `path` (faulted ones included).
    #[must_use]
    pub fn request_count(&self, path: &str) -> u64 {
        self.requests.count(path)
    }

    /// Stop accepting, let open connections finish their current request (up to 5 s), and
    /// wait until the server task ended.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Clone)]
struct Ctx {
    router: Router,
    faults: FaultController,
    requests: RequestLog,
}

async fn accept_loop(listener: TcpListener, ctx: Ctx, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    conns.spawn(serve_connection(stream, remote, ctx.clone(), stop.clone()));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE + Duration::from_secs(1), drain)
        .await
        .is_err()
    {
        conns.abort_all();
    }
    tracing::debug!("sandbox server stopped");
}

async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    ctx: Ctx,
    mut stop: watch::Receiver<bool>,
) {
    let kill = Arc::new(Notify::new());
    let kill_for_service = kill.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let ctx = ctx.clone();
        let kill = kill_for_service.clone();
        async move { Ok::<_, Infallible>(handle(ctx, kill, remote, req).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    if *stop.borrow() {
        return;
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        () = kill.notified() => {
            // Dropping the connection future closes the socket: no response is written.
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = tokio::time::timeout(GRACE, conn.as_mut()) => {}
                () = kill.notified() => {}
            }
        }
    }
}

async fn handle(
    ctx: Ctx,
    kill: Arc<Notify>,
    remote: SocketAddr,
    mut req: Request<Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_owned();
    ctx.requests.record(&path);
    let decision = ctx.faults.decide(&path);
    if let Some(delay) = decision.delay {
        tokio::time::sleep(delay).await;
    }
    req.extensions_mut().insert(ConnectInfo(remote));
    match decision.outcome {
        FaultOutcome::Respond {
            status,
            retry_after_secs,
        } => {
            tracing::debug!(%path, status, "sandbox fault: injected status");
            fault_response(status, retry_after_secs)
        }
        FaultOutcome::DropRequest => {
            tracing::debug!(%path, "sandbox fault: connection dropped before handling");
            kill.notify_one();
            std::future::pending().await
        }
        FaultOutcome::DropResponse => {
            let req = req.map(Body::new);
            let _ = ctx.router.oneshot(req).await;
            tracing::debug!(%path, "sandbox fault: response dropped after handling");
            kill.notify_one();
            std::future::pending().await
        }
        FaultOutcome::Pass => {
            let req = req.map(Body::new);
            match ctx.router.oneshot(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            }
        }
    }
}

fn fault_response(status: u16, retry_after_secs: Option<u64>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = format!(
        "{} {} (injected by the sandbox fault plan)\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Some(secs) = retry_after_secs {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    #[tokio::test]
    async fn serves_and_counts_and_stops() {
        let router = Router::new().route("/hello", get(|| async { "hi" }));
        let server = start(router).await.unwrap();
        assert!(server.base_url().starts_with("http://127.0.0.1:"));
        let addr = server.local_addr();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        s.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).await.unwrap();
        assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
        assert!(buf.ends_with("hi"));
        assert_eq!(server.request_count("/hello"), 1);
        server.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
