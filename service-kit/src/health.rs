//! The `healthcheck` command each service binary answers, for container healthchecks
//! in images that carry no `curl`: one HTTP GET to the service's own port.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

/// How long the probe waits to connect and for the answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// `GET path` on the service listening at `bind`; Ok when it answers `200`.
///
/// A wildcard bind (`0.0.0.0`, `::`) is probed on loopback.
pub fn probe(bind: SocketAddr, path: &str) -> anyhow::Result<()> {
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(match bind {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    // One write: `write!` on the stream would send each piece of the format separately.
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("sending GET {path} to {addr}"))?;
    let mut head = [0u8; 32];
    let read = stream
        .read(&mut head)
        .with_context(|| format!("reading the answer to GET {path} from {addr}"))?;
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status = status_line.split_whitespace().nth(1).unwrap_or("none");
    if status != "200" {
        bail!("GET {path} on {addr} answered status {status}, not 200");
    }
    Ok(())
}

/// [`probe`] of a worker's metrics endpoint, or an error when metrics are off (the
/// worker then has no port to probe).
pub fn probe_metrics(bind: Option<SocketAddr>, variable: &str) -> anyhow::Result<()> {
    match bind {
        Some(bind) => probe(bind, "/metrics"),
        None => bail!("{variable} is off, so there is no endpoint to check: set it to an address"),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // The whole request head, as a server reads it, then the answer.
            let mut request = Vec::new();
            let mut buffer = [0u8; 256];
            while !request.ends_with(b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let _ = stream.write_all(answer.as_bytes());
        });
        addr
    }

    #[test]
    fn a_200_is_healthy() {
        let addr = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        probe(addr, "/healthz").unwrap();
    }

    #[test]
    fn another_status_is_not_and_says_which() {
        let addr = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let err = probe(addr, "/healthz").unwrap_err().to_string();
        assert!(err.contains("status 503"), "{err}");
    }

    #[test]
    fn nothing_listening_is_not() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = probe(addr, "/metrics").unwrap_err().to_string();
        assert!(err.contains("connecting to"), "{err}");
    }

    #[test]
    fn a_wildcard_bind_is_probed_on_loopback() {
        let addr = serve_once("HTTP/1.1 200 OK\r\n\r\n");
        let wildcard = SocketAddr::from(([0, 0, 0, 0], addr.port()));
        probe(wildcard, "/metrics").unwrap();
    }
}
