//! Loopback ports.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};

/// A port that was free on 127.0.0.1 a moment ago. The OS hands out ports in a
/// rotating sequence, so two callers are unlikely to get the same one.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// True if something already listens on 127.0.0.1:`port`.
pub fn in_use(port: u16) -> bool {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_port_is_in_use_and_a_free_one_is_not() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = listener.local_addr().unwrap().port();
        assert!(in_use(taken));
        drop(listener);
        let free = free_port().unwrap();
        assert!(!in_use(free));
    }
}
