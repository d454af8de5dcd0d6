//! The FTP staging server's passive listeners on real sockets, driven by a raw control
//! connection (a client that sends PASV and EPSV and never uses them, as a hostile one
//! does): one live listener per control connection, closed with it, and a cap on them
//! in total, answered 425. Waits end on what the sockets show, within a deadline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pens_parties::{ListenerLimits, RunCa, StagingServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::support::LOOPBACK;

/// A logged-in anonymous control connection, one command and reply at a time.
struct Control {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Control {
    async fn login(addr: SocketAddr) -> Control {
        let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut control = Control { reader: BufReader::new(read), writer };
        assert!(control.reply().await.starts_with("220"));
        assert!(control.command("USER anonymous").await.starts_with("331"));
        assert!(control.command("PASS guest").await.starts_with("230"));
        control
    }

    /// The last line of the next reply (multi-line replies end with `NNN `).
    async fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).await.unwrap() > 0, "the server hung up");
            if line.len() >= 4 && line.as_bytes()[3] == b' ' {
                return line.trim_end().to_owned();
            }
        }
    }

    async fn command(&mut self, command: &str) -> String {
        self.writer.write_all(format!("{command}\r\n").as_bytes()).await.unwrap();
        self.reply().await
    }

    /// EPSV: the port of the new passive listener (`229 ... (|||PORT|)`), or the reply
    /// when it is not 229.
    async fn epsv(&mut self) -> Result<u16, String> {
        let reply = self.command("EPSV").await;
        reply
            .strip_prefix("229")
            .and_then(|rest| rest.split('|').nth(3))
            .and_then(|port| port.parse().ok())
            .ok_or(reply)
    }

    /// PASV: the port of `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`.
    async fn pasv(&mut self) -> u16 {
        let reply = self.command("PASV").await;
        let numbers: Vec<u16> = reply
            .split(['(', ')'])
            .nth(1)
            .unwrap_or_else(|| panic!("not a 227 reply: {reply}"))
            .split(',')
            .map(|n| n.trim().parse().unwrap())
            .collect();
        numbers[4] * 256 + numbers[5]
    }
}

/// The ports sockets listen on (any local address), read from the kernel's table
/// (`/proc/net/tcp`, `/proc/net/tcp6`; state `0A` is LISTEN). Probing by connecting
/// would not do: libunftp's passive listener takes one connection and closes, so a
/// probe would itself close the listener it looks for.
fn listening_ports() -> std::collections::HashSet<u16> {
    let mut ports = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 3 && fields[3] == "0A" {
                let port = fields[1].rsplit(':').next().and_then(|hex| u16::from_str_radix(hex, 16).ok());
                ports.extend(port);
            }
        }
    }
    ports
}

fn listening(port: u16) -> bool {
    listening_ports().contains(&port)
}

/// Whether `ports` stop listening within 10 s (a listener that is closed stops at once;
/// one that is kept never does within the deadline), all but `tolerated` of them; the
/// ones still listening at the deadline otherwise. The tolerance is for many ports: the
/// kernel may hand a freed port to another test's listener meanwhile.
async fn closed_within_deadline(ports: &[u16], tolerated: usize) -> Result<(), Vec<u16>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let open = listening_ports();
        let still: Vec<u16> = ports.iter().copied().filter(|port| open.contains(port)).collect();
        if still.len() <= tolerated {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(still);
        }
        tokio::task::yield_now().await;
    }
}

/// A staging server with at most `passive_listeners` passive listeners (the default
/// when `None`).
async fn staging(passive_listeners: Option<usize>) -> (RunCa, StagingServer) {
    let ca = RunCa::generate(&[]).unwrap();
    let staging = match passive_listeners {
        Some(cap) => StagingServer::start_limited(LOOPBACK, "", &ca, ListenerLimits::default(), cap).await,
        None => StagingServer::start(LOOPBACK, "", &ca).await,
    };
    (ca, staging.unwrap())
}

#[tokio::test]
async fn a_second_pasv_closes_the_first_passive_listener() {
    let (_ca, staging) = staging(None).await;
    let mut control = Control::login(staging.ftp_addr()).await;
    let first = control.pasv().await;
    let second = control.epsv().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(
        closed_within_deadline(&[first], 0).await,
        Ok(()),
        "the first passive port still listens after a second EPSV"
    );
    assert!(listening(second), "the last passive port listens");
}

#[tokio::test]
async fn passive_listeners_close_with_their_control_connection() {
    let (_ca, staging) = staging(None).await;
    let mut control = Control::login(staging.ftp_addr()).await;
    let port = control.epsv().await.unwrap();
    assert!(control.command("QUIT").await.starts_with("221"));
    drop(control);
    assert_eq!(closed_within_deadline(&[port], 0).await, Ok(()), "the passive port outlived its control connection");
}

#[tokio::test]
async fn beyond_the_cap_pasv_is_answered_425_and_counted() {
    let (_ca, staging) = staging(Some(2)).await;
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let mut control = Control::login(staging.ftp_addr()).await;
        control.epsv().await.unwrap();
        sessions.push(control);
    }
    let mut third = Control::login(staging.ftp_addr()).await;
    let refused = third.epsv().await.expect_err("over the cap");
    assert!(refused.starts_with("425"), "{refused}");
    assert_eq!(staging.passive_listeners_capped(), 1);
    // A session's next EPSV replaces its own listener: it never needs a second slot.
    let mut first = sessions.remove(0);
    first.epsv().await.expect("replacing its own listener");
    drop(first);
    // Once a session ends its slot is free for another.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut fourth = Control::login(staging.ftp_addr()).await;
    loop {
        match fourth.epsv().await {
            Ok(_) => break,
            Err(reply) => assert!(Instant::now() < deadline, "no slot freed: {reply}"),
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn four_hundred_pasv_on_one_connection_hold_one_listener() {
    let (_ca, staging) = staging(None).await;
    let mut control = Control::login(staging.ftp_addr()).await;
    let mut ports = Vec::new();
    for _ in 0..400 {
        ports.push(control.pasv().await);
    }
    assert_eq!(staging.passive_listeners_capped(), 0, "a connection's own PASV never counts against the cap twice");
    // The kernel may hand a freed port out again: the last one's number is not looked
    // at, and a few others may have gone to other tests' listeners (the old code kept
    // all 399 listening for 15 s).
    let last = ports[ports.len() - 1];
    assert!(listening(last), "the last passive port listens");
    let earlier: Vec<u16> = ports.iter().copied().filter(|port| *port != last).collect();
    assert_eq!(closed_within_deadline(&earlier, 4).await, Ok(()), "earlier passive ports still listen (last {last})");
}
