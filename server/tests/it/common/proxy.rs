//! A recording HTTP proxy in front of a real server, so tests can see exactly which requests a
//! sync sent (method, and which REPORT) without touching the client under test. It can also
//! play a failing server, slow responses down, hold requests at a chosen point so a test can act
//! while a sync is provably in the middle, and report how many requests overlapped.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;
use tokio::sync::{Notify, Semaphore};

#[derive(Clone)]
pub struct Recorder {
    pub base: String,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    log: Mutex<Vec<String>>,
    /// Answer every request with this status instead of forwarding it.
    fail_with: Mutex<Option<u16>>,
    delay: Mutex<Duration>,
    hold: Mutex<Option<HoldRule>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct HoldRule {
    label: String,
    from: usize,
    seen: usize,
    gate: Hold,
}

/// Requests caught by [`Recorder::hold_from`] wait here until [`Hold::release`].
#[derive(Clone)]
pub struct Hold {
    arrived: Arc<Notify>,
    open: Arc<Semaphore>,
}

impl Hold {
    /// Returns once the first held request has arrived.
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    /// Lets every held request (and every later one) through.
    pub fn release(&self) {
        self.open.add_permits(1 << 20);
    }
}

impl Recorder {
    /// Starts a proxy forwarding to `upstream` (e.g. `http://127.0.0.1:5232`).
    pub async fn start(upstream: &str) -> Recorder {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            log: Mutex::new(Vec::new()),
            fail_with: Mutex::new(None),
            delay: Mutex::new(Duration::ZERO),
            hold: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Recorder { base, shared }
    }

    /// Requests since the last call, as "METHOD" or "REPORT <kind>".
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.log.lock().unwrap())
    }

    /// Plays a broken server (`Some(503)`) or a healthy one again (`None`).
    pub fn fail_with(&self, status: Option<u16>) {
        *self.shared.fail_with.lock().unwrap() = status;
    }

    /// Waits this long before forwarding each request.
    pub fn delay(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// Holds the `nth` (1-based) request labelled `label` (as in [`Recorder::take`]) and every
    /// request after it until the returned gate is released.
    pub fn hold_from(&self, label: &str, nth: usize) -> Hold {
        let gate = Hold {
            arrived: Arc::new(Notify::new()),
            open: Arc::new(Semaphore::new(0)),
        };
        *self.shared.hold.lock().unwrap() = Some(HoldRule {
            label: label.to_string(),
            from: nth.max(1),
            seen: 0,
            gate: gate.clone(),
        });
        gate
    }

    /// The most requests that were in the proxy at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn reset_max_in_flight(&self) {
        self.shared.max_in_flight.store(0, Ordering::SeqCst);
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The gate this request must wait at, if the hold rule catches it.
fn held(shared: &Shared, label: &str) -> Option<Hold> {
    let mut hold = shared.hold.lock().unwrap();
    let rule = hold.as_mut().filter(|r| r.label == label)?;
    rule.seen += 1;
    (rule.seen >= rule.from).then(|| {
        // notify_one keeps a permit, so a test that starts waiting late still wakes up.
        rule.gate.arrived.notify_one();
        rule.gate.clone()
    })
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let _in_flight = InFlight::enter(&shared);
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let body = to_bytes(request.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&body);
    let kind = ["sync-collection", "calendar-multiget", "calendar-query"]
        .into_iter()
        .find(|k| text.contains(k));
    let label = match kind {
        Some(k) if method.as_str() == "REPORT" => format!("REPORT {k}"),
        _ => method.to_string(),
    };
    shared.log.lock().unwrap().push(label.clone());
    if let Some(gate) = held(&shared, &label) {
        let _pass = gate.open.acquire().await.expect("gate open");
    }
    let delay = *shared.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = *shared.fail_with.lock().unwrap() {
        return Response::builder()
            .status(status)
            .body(Body::from("unavailable"))
            .unwrap();
    }
    let mut outgoing = shared
        .http
        .request(method, format!("{}{path}", shared.upstream))
        .body(body);
    for (name, value) in headers
        .iter()
        .filter(|(n, _)| *n != "host" && *n != "content-length")
    {
        outgoing = outgoing.header(name, value);
    }
    let reply = outgoing.send().await.unwrap();
    let mut response = Response::builder().status(reply.status().as_u16());
    for (name, value) in reply
        .headers()
        .iter()
        .filter(|(n, _)| *n != "content-length" && *n != "transfer-encoding")
    {
        response = response.header(name, value);
    }
    response
        .body(Body::from(reply.bytes().await.unwrap()))
        .unwrap()
}
