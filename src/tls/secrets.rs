//! The traffic secrets a TLS library hands over through its key-log hook, in the NSS key-log
//! labels (`SERVER_TRAFFIC_SECRET_0`, ...), kept in memory: for netlab's own decoding (one log
//! shared by a client's connections, each connection taking the secrets logged since it began)
//! and for `--keylog`, whose file is these lines as Wireshark reads them.
//!
//! The NSS key-log format is one line per secret, `LABEL CLIENT_RANDOM SECRET` in hex: the
//! ClientHello's random (RFC 8446 §4.1.2) names the connection, so one file can hold many. For
//! QUIC the same TLS 1.3 labels name the secrets of its Handshake and 1-RTT packet-number
//! spaces (RFC 9001 §5.1).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::hex;

/// One logged secret: its label, the connection's client random, the secret.
type Logged = (String, Vec<u8>, Vec<u8>);

/// Every secret logged so far, in order.
#[derive(Debug, Default)]
pub struct SecretLog(Mutex<Vec<Logged>>);

impl rustls::KeyLog for SecretLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut v) = self.0.lock() {
            v.push((label.to_string(), client_random.to_vec(), secret.to_vec()));
        }
    }
}

impl SecretLog {
    /// Where the log stands now: a connection about to start marks it, and later takes
    /// [`SecretLog::since`] that mark.
    pub fn mark(&self) -> usize {
        self.0.lock().map_or(0, |v| v.len())
    }

    /// The secrets logged after `mark`, by label (a connection's own, when connections are
    /// made one after another).
    pub fn since(&self, mark: usize) -> HashMap<String, Vec<u8>> {
        self.0
            .lock()
            .map(|v| v.iter().skip(mark).map(|(l, _, s)| (l.clone(), s.clone())).collect())
            .unwrap_or_default()
    }

    /// The secrets of the connection whose ClientHello carried `client_random`, by label.
    pub fn of_connection(&self, client_random: &[u8]) -> HashMap<String, Vec<u8>> {
        self.0
            .lock()
            .map(|v| {
                v.iter()
                    .filter(|(_, r, _)| r == client_random)
                    .map(|(l, _, s)| (l.clone(), s.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets every secret (a client reused for a new trace).
    pub fn clear(&self) {
        if let Ok(mut v) = self.0.lock() {
            v.clear();
        }
    }

    /// The NSS key-log text of the secrets logged after `mark` (one connection's when marked
    /// as it began; from 0, every connection's): `LABEL CLIENT_RANDOM SECRET` lines in hex.
    pub fn nss_text(&self, mark: usize) -> String {
        self.0
            .lock()
            .map(|v| {
                v.iter()
                    .skip(mark)
                    .map(|(l, r, s)| format!("{l} {} {}\n", hex::encode(r), hex::encode(s)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::KeyLog as _;

    #[test]
    fn a_connection_takes_only_what_was_logged_after_its_mark() {
        let log = SecretLog::default();
        log.log("SERVER_TRAFFIC_SECRET_0", &[1; 32], &[0xaa]);
        let mark = log.mark();
        log.log("SERVER_TRAFFIC_SECRET_0", &[2; 32], &[0xbb]);
        log.log("CLIENT_TRAFFIC_SECRET_0", &[2; 32], &[0xcc]);
        let mine = log.since(mark);
        assert_eq!(mine.len(), 2);
        assert_eq!(mine["SERVER_TRAFFIC_SECRET_0"], [0xbb]);
    }

    #[test]
    fn a_connection_is_found_by_its_client_random() {
        let log = SecretLog::default();
        log.log("CLIENT_RANDOM", &[1; 32], &[0xaa]);
        log.log("CLIENT_RANDOM", &[2; 32], &[0xbb]);
        assert_eq!(log.of_connection(&[2; 32])["CLIENT_RANDOM"], [0xbb]);
        assert!(log.of_connection(&[3; 32]).is_empty());
        log.clear();
        assert_eq!(log.mark(), 0);
    }

    #[test]
    fn the_nss_text_names_each_secret_by_its_client_random() {
        let log = SecretLog::default();
        log.log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &[1, 2], &[0xaa, 0x0b]);
        let mark = log.mark();
        log.log("CLIENT_TRAFFIC_SECRET_0", &[3, 4], &[0xcc]);
        assert_eq!(log.nss_text(mark), "CLIENT_TRAFFIC_SECRET_0 0304 cc\n");
        let all = log.nss_text(0);
        assert_eq!(all.lines().count(), 2);
        // What netlab writes, netlab's key-log reader reads back.
        let parsed = crate::packet::tlsflows::parse_keylog(&all).unwrap();
        assert_eq!(parsed[&vec![1, 2]]["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], [0xaa, 0x0b]);
    }
}
