// Peer row of `strata bench`: hyper 0.14 + serde_json, axum's engine
// (axum is not packaged in Debian; what it adds is routing and extractors),
// answering the same endpoints as the other peers:
//   POST /user (seed 003), GET /index?name= and GET / (seed 002).
// Usage: strata-rust-peer [--host H] [--port N]   (N = 0 picks a free port)
// Prints "listening on http://HOST:PORT tier=rust"; SIGINT/SIGTERM exit 0.
// Tokio's multi-threaded runtime, as axum uses it; TOKIO_WORKER_THREADS
// (set by the harness to the number of server cores) sizes it.
use std::convert::Infallible;
use std::net::{SocketAddr, ToSocketAddrs};

use hyper::body::to_bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize)]
struct User {
    id: i64,
    name: String,
    email: String,
}

const TEXT: &str = "text/plain; charset=utf-8";

fn reply(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

// The query's `name`, decoded as form data ('+' is a space, %XX a byte),
// as the other peers read it.
fn name_of(query: Option<&str>) -> Option<String> {
    let pair = query?.split('&').find(|p| p.split('=').next() == Some("name"))?;
    let bytes = pair.split_once('=').map_or("", |(_, v)| v).as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

async fn handle(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    if req.method() == Method::POST && path == "/user" {
        let body = match to_bytes(req.into_body()).await {
            Ok(b) => b,
            Err(e) => return Ok(reply(StatusCode::BAD_REQUEST, TEXT, e.to_string().into_bytes())),
        };
        // axum's Json extractor: 400 for malformed JSON, 422 for the wrong shape.
        return Ok(match serde_json::from_slice::<User>(&body) {
            Ok(user) => reply(StatusCode::OK, "application/json", serde_json::to_vec(&user).unwrap()),
            Err(e) if e.is_data() => reply(StatusCode::UNPROCESSABLE_ENTITY, TEXT, e.to_string().into_bytes()),
            Err(e) => reply(StatusCode::BAD_REQUEST, TEXT, e.to_string().into_bytes()),
        });
    }
    if path == "/index" {
        let text = match name_of(req.uri().query()) {
            Some(n) if !n.is_empty() => format!("Hello {}", n),
            _ => "Hello ASGI World!".to_owned(),
        };
        return Ok(reply(StatusCode::OK, TEXT, text.into_bytes()));
    }
    Ok(reply(StatusCode::OK, TEXT, b"Hello ASGI World!".to_vec()))
}

fn usage() -> ! {
    eprintln!("usage: strata-rust-peer [--host H] [--port N]");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut host = "127.0.0.1".to_owned();
    let mut port: u16 = 8000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--host" => host = args.next().unwrap_or_else(|| usage()),
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    let addr: SocketAddr = match (host.as_str(), port).to_socket_addrs().ok().and_then(|mut a| a.next()) {
        Some(a) => a,
        None => {
            eprintln!("strata-rust-peer: cannot resolve host '{}'", host);
            std::process::exit(1);
        }
    };
    let builder = match Server::try_bind(&addr) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("strata-rust-peer: cannot listen on {}: {}", addr, e);
            std::process::exit(1);
        }
    };
    let make = make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(handle)) });
    let server = builder.http1_only(true).serve(make);
    let local = server.local_addr();
    let shown = if local.is_ipv6() { format!("[{}]", local.ip()) } else { local.ip().to_string() };
    println!("listening on http://{}:{} tier=rust", shown, local.port());
    use std::io::Write;
    std::io::stdout().flush().ok();
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    };
    if let Err(e) = server.with_graceful_shutdown(stop).await {
        eprintln!("strata-rust-peer: {}", e);
        std::process::exit(1);
    }
}
