//! BGP-4 (RFC 4271, 4760, 6793): a TCP segment's payload to or from port 179 as
//! `packet::bgp::decode` reads it (OPEN and capabilities, UPDATE attributes and NLRI,
//! NOTIFICATION, ROUTE-REFRESH, messages continued from an earlier segment).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlab::packet::bgp::decode;

fuzz_target!(|data: &[u8]| {
    let mut layers = Vec::new();
    let _ = decode(data, &mut layers);
});
