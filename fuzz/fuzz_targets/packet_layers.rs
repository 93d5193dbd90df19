//! Every packet layer: one frame decoded by `packet::layers::decode` as each link type netlab
//! reads (Ethernet, BSD loopback, raw IP, Linux cooked v1 and v2), and the payload places it
//! reports checked to lie inside the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlab::packet::layers::{decode, flag_names, Link};

fuzz_target!(|data: &[u8]| {
    for link in [Link::Ethernet, Link::Null, Link::Raw, Link::Sll, Link::Sll2] {
        let d = decode(link, data);
        for (start, len) in [d.tcp_payload, d.udp_payload].into_iter().flatten() {
            assert!(start + len <= data.len(), "a payload outside the frame");
        }
        if let Some(t) = d.tcp {
            let _ = flag_names(t.flags);
        }
    }
});
