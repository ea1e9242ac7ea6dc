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
    /// Canned answers (label, status, body), each used once by the next request so labelled.
    canned: Mutex<Vec<(String, u16, String)>>,
    chaos: Mutex<Option<Chaos>>,
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
            canned: Mutex::new(Vec::new()),
            chaos: Mutex::new(None),
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

    /// Answers the next request labelled `label` (as in [`Recorder::take`]) with `status` and
    /// `body` instead of forwarding it; several canned answers are used in order.
    pub fn answer_next(&self, label: &str, status: u16, body: &str) {
        self.shared
            .canned
            .lock()
            .unwrap()
            .push((label.to_string(), status, body.to_string()));
    }

    /// From now on, `percent` of requests (drawn from a generator seeded with `seed`, so a
    /// run can be repeated) meet one of the [`Fault`]s; `None` turns chaos off.
    pub fn chaos(&self, seeded: Option<(u64, u64)>) {
        *self.shared.chaos.lock().unwrap() = seeded.map(|(seed, percent)| Chaos {
            state: seed.max(1),
            percent,
            counts: Default::default(),
        });
    }

    /// How often each fault was played so far.
    pub fn faults(&self) -> std::collections::BTreeMap<Fault, usize> {
        self.shared
            .chaos
            .lock()
            .unwrap()
            .as_ref()
            .map(|c| c.counts.clone())
            .unwrap_or_default()
    }

    /// The most requests that were in the proxy at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn reset_max_in_flight(&self) {
        self.shared.max_in_flight.store(0, Ordering::SeqCst);
    }
}

/// What a chaotic server does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The connection drops halfway through the answer.
    Dropped,
    ServerError,
    BadGateway,
    /// A well-formed status line, half the body.
    Truncated,
    /// A 207 with nothing in it.
    EmptyMultistatus,
    /// Answers after the client's timeout.
    Slow,
}

const FAULTS: [Fault; 6] = [
    Fault::Dropped,
    Fault::ServerError,
    Fault::BadGateway,
    Fault::Truncated,
    Fault::EmptyMultistatus,
    Fault::Slow,
];

struct Chaos {
    state: u64,
    percent: u64,
    counts: std::collections::BTreeMap<Fault, usize>,
}

impl Chaos {
    /// xorshift64: reproducible without a dependency.
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn draw(&mut self) -> Option<Fault> {
        if self.next() % 100 >= self.percent {
            return None;
        }
        let fault = FAULTS[(self.next() % FAULTS.len() as u64) as usize];
        *self.counts.entry(fault).or_default() += 1;
        Some(fault)
    }
}

/// A body that sends its first half, then fails: the client sees the connection drop.
struct DroppingBody(Option<axum::body::Bytes>);

impl http_body::Body for DroppingBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(Some(match self.0.take() {
            Some(half) => Ok(http_body::Frame::data(half)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "chaos: connection dropped",
            )),
        }))
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
    let canned = {
        let mut canned = shared.canned.lock().unwrap();
        let found = canned.iter().position(|(l, _, _)| *l == label);
        found.map(|i| canned.remove(i))
    };
    if let Some((_, status, body)) = canned {
        return Response::builder()
            .status(status)
            .header("content-type", "application/xml; charset=utf-8")
            .body(Body::from(body))
            .unwrap();
    }
    let fault = shared.chaos.lock().unwrap().as_mut().and_then(Chaos::draw);
    match fault {
        Some(Fault::ServerError | Fault::BadGateway) => {
            return Response::builder()
                .status(if fault == Some(Fault::ServerError) {
                    500
                } else {
                    502
                })
                .body(Body::from("chaos"))
                .unwrap();
        }
        Some(Fault::EmptyMultistatus) => {
            return Response::builder()
                .status(207)
                .header("content-type", "application/xml; charset=utf-8")
                .body(Body::from(
                    r#"<?xml version="1.0" encoding="utf-8"?><multistatus xmlns="DAV:"/>"#,
                ))
                .unwrap();
        }
        Some(Fault::Slow) => tokio::time::sleep(Duration::from_millis(1500)).await,
        _ => {}
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
    let body = reply.bytes().await.unwrap();
    let half = body.slice(..body.len() / 2);
    match fault {
        Some(Fault::Truncated) => response.body(Body::from(half)).unwrap(),
        Some(Fault::Dropped) => response.body(Body::new(DroppingBody(Some(half)))).unwrap(),
        _ => response.body(Body::from(body)).unwrap(),
    }
}
