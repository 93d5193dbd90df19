//! The traffic secrets a TLS library hands over through its key-log hook, in the NSS key-log
//! labels (`SERVER_TRAFFIC_SECRET_0`, ...), kept in memory for netlab's own decoding: one log
//! shared by a client's connections, each connection taking the secrets logged since it began.

use std::collections::HashMap;
use std::sync::Mutex;

/// Every secret logged so far: label and secret, in order.
#[derive(Debug, Default)]
pub struct SecretLog(Mutex<Vec<(String, Vec<u8>)>>);

impl rustls::KeyLog for SecretLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if let Ok(mut v) = self.0.lock() {
            v.push((label.to_string(), secret.to_vec()));
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
            .map(|v| v.iter().skip(mark).cloned().collect())
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
}
