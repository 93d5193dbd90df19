//! A QUIC connection's CRYPTO streams (RFC 9000 §19.6, RFC 9001 §4.1.3). QUIC carries TLS's
//! handshake messages without TLS records: each packet-number space, each way, has its own
//! byte stream from offset 0 (the ClientHello and ServerHello in the Initial space; the
//! EncryptedExtensions, Certificate, CertificateVerify and Finished in the Handshake space; a
//! NewSessionTicket in 1-RTT). The stream is put back in order from the CRYPTO frames as packets
//! arrive, and each message is handed over by the packet that completes it, as tshark names it
//! there. Data past a gap waits for the gap to be filled by a later packet only if that packet
//! carries both (out-of-order pieces are dropped, as Wireshark does without its out-of-order
//! preference). Bounded: a message longer than [`MAX_PENDING`] ends the stream's following.

/// Most octets of an incomplete message kept (a certificate chain fits).
const MAX_PENDING: usize = 64 * 1024;

/// One CRYPTO stream, followed.
#[derive(Debug, Default)]
pub struct CryptoStream {
    /// The stream offset up to which data arrived in order.
    next: u64,
    /// The start of a message not yet complete.
    pending: Vec<u8>,
    /// Stopped: a message too long, or a malformed header.
    stopped: bool,
}

impl CryptoStream {
    /// Takes one packet's CRYPTO pieces, (stream offset, octets): the handshake messages they
    /// complete, each whole with its 4-octet header (RFC 8446 §4).
    pub fn take(&mut self, mut pieces: Vec<(u64, &[u8])>) -> Vec<Vec<u8>> {
        if self.stopped {
            return Vec::new();
        }
        pieces.sort_by_key(|(offset, _)| *offset);
        for (offset, data) in pieces {
            let end = offset.saturating_add(data.len() as u64);
            if offset > self.next || end <= self.next {
                // A gap before it, or data already had (a retransmission).
                continue;
            }
            let skip = usize::try_from(self.next - offset).unwrap_or(usize::MAX);
            self.pending.extend(data.iter().skip(skip));
            self.next = end;
        }
        let Ok((messages, rest)) = crate::tls::handshake::split(&self.pending) else {
            self.stop();
            return Vec::new();
        };
        let whole: Vec<Vec<u8>> = messages.iter().map(|(_, m)| m.to_vec()).collect();
        let rest = rest.to_vec();
        self.pending = rest;
        if self.pending.len() > MAX_PENDING {
            self.stop();
        }
        whole
    }

    fn stop(&mut self) {
        self.stopped = true;
        self.pending = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_whole_in_the_packet_that_completes_them() {
        let mut s = CryptoStream::default();
        // EncryptedExtensions (type 8, 2 octets) and the start of a Certificate (11, 5 octets).
        let first = [8, 0, 0, 2, 0xaa, 0xbb, 11, 0, 0, 5, 1];
        let got = s.take(vec![(0, &first)]);
        assert_eq!(got, [vec![8, 0, 0, 2, 0xaa, 0xbb]]);
        // The rest of the Certificate, with a retransmission of old data before it.
        let rest = [2, 3, 4, 5];
        let again = [0xbb, 11];
        let got = s.take(vec![(11, &rest[..]), (5, &again[..])]);
        assert_eq!(got, [vec![11, 0, 0, 5, 1, 2, 3, 4, 5]]);
        // A piece past a gap is not taken.
        assert!(s.take(vec![(100, &[20, 0, 0, 0][..])]).is_empty());
        assert_eq!(s.next, 15);
    }

    #[test]
    fn a_message_too_long_stops_the_stream() {
        let mut s = CryptoStream::default();
        // A header claiming 16 MiB.
        assert!(s.take(vec![(0, &[11, 0xff, 0xff, 0xff][..])]).is_empty());
        assert!(s.stopped);
        assert!(s.take(vec![(4, &[1, 2, 3][..])]).is_empty());
    }
}
