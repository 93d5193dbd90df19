//! netlab's checks of `contains`: `netlab lab check 07-rate-limiting --exercise cidr-contains`
//! runs this file against your src/lib.rs (its own copy: editing this one changes nothing).

use cidr_contains::{contains, CidrError};

fn inside(block: &str, addr: &str) -> bool {
    match contains(block, addr) {
        Ok(answer) => answer,
        Err(e) => panic!("contains({block:?}, {addr:?}) is an error ({e:?}); both parse"),
    }
}

#[test]
fn ipv4_inside_and_outside() {
    assert!(
        inside("192.168.0.0/16", "192.168.4.20"),
        "192.168.4.20 is in 192.168.0.0/16"
    );
    assert!(
        inside("192.168.0.0/16", "192.168.255.255"),
        "the last address of 192.168.0.0/16 is inside"
    );
    assert!(
        !inside("192.168.0.0/16", "192.169.0.1"),
        "192.169.0.1 is outside 192.168.0.0/16"
    );
    assert!(
        !inside("192.168.0.0/16", "10.0.0.1"),
        "10.0.0.1 is outside 192.168.0.0/16"
    );
}

#[test]
fn prefixes_off_the_octet_boundary() {
    assert!(
        inside("172.16.0.0/12", "172.31.255.255"),
        "172.16.0.0/12 runs to 172.31.255.255"
    );
    assert!(
        !inside("172.16.0.0/12", "172.32.0.0"),
        "172.32.0.0 is past 172.16.0.0/12"
    );
    assert!(
        inside("10.0.0.0/31", "10.0.0.1"),
        "a /31 holds two addresses (RFC 3021)"
    );
    assert!(!inside("10.0.0.0/31", "10.0.0.2"), "10.0.0.2 is outside 10.0.0.0/31");
    assert!(inside("fe80::/10", "febf::1"), "fe80::/10 runs to febf:ffff:...");
    assert!(!inside("fe80::/10", "fec0::1"), "fec0::1 is outside fe80::/10");
}

#[test]
fn slash_zero_holds_every_address_of_its_family() {
    assert!(
        inside("0.0.0.0/0", "255.255.255.255"),
        "0.0.0.0/0 holds every IPv4 address"
    );
    assert!(inside("0.0.0.0/0", "1.2.3.4"), "0.0.0.0/0 holds every IPv4 address");
    assert!(inside("::/0", "ffff::1"), "::/0 holds every IPv6 address");
}

#[test]
fn host_routes_slash_32_and_slash_128_hold_one_address() {
    assert!(inside("10.0.0.1/32", "10.0.0.1"), "10.0.0.1/32 holds 10.0.0.1");
    assert!(!inside("10.0.0.1/32", "10.0.0.0"), "10.0.0.1/32 holds nothing else");
    assert!(!inside("10.0.0.1/32", "10.0.0.2"), "10.0.0.1/32 holds nothing else");
    assert!(inside("2001:db8::1/128", "2001:db8::1"), "2001:db8::1/128 holds itself");
    assert!(
        !inside("2001:db8::1/128", "2001:db8::2"),
        "2001:db8::1/128 holds nothing else"
    );
}

#[test]
fn ipv6_inside_and_outside() {
    assert!(
        inside("2001:db8::/32", "2001:db8:ffff::1"),
        "2001:db8:ffff::1 is in 2001:db8::/32"
    );
    assert!(
        !inside("2001:db8::/32", "2001:db9::1"),
        "2001:db9::1 is outside 2001:db8::/32"
    );
    assert!(inside("2001:db8:abcd::/48", "2001:db8:abcd:12::1"), "a /48 site");
}

#[test]
fn host_bits_in_the_block_are_ignored() {
    assert!(inside("10.1.2.3/8", "10.200.0.1"), "10.1.2.3/8 is the block 10.0.0.0/8");
    assert!(!inside("10.1.2.3/8", "11.1.2.3"), "10.1.2.3/8 is the block 10.0.0.0/8");
    assert!(
        inside("2001:db8:1::5/32", "2001:db8:ffff::1"),
        "2001:db8:1::5/32 is 2001:db8::/32"
    );
}

#[test]
fn the_other_family_is_never_inside() {
    assert!(
        !inside("0.0.0.0/0", "::1"),
        "an IPv6 address is not in an IPv4 block, even /0"
    );
    assert!(
        !inside("::/0", "10.0.0.1"),
        "an IPv4 address is not in an IPv6 block, even /0"
    );
    assert!(
        !inside("10.0.0.0/8", "::ffff:10.0.0.1"),
        "an IPv4-mapped address is IPv6"
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic_or_a_guess() {
    for block in [
        "10.0.0.0/33",
        "2001:db8::/129",
        "10.0.0.0",
        "10.0.0.0/",
        "10.0.0.0/x",
        "10.0.0.0/-1",
        "/8",
        "",
        "10.0.0/8",
    ] {
        assert!(
            matches!(contains(block, "10.0.0.1"), Err(CidrError::BadBlock(_))),
            "contains({block:?}, \"10.0.0.1\") must be Err(BadBlock): it is {:?}",
            contains(block, "10.0.0.1")
        );
    }
    for addr in ["10.0.0.256", "", "10.0.0.1/32", "not-an-address"] {
        assert!(
            matches!(contains("10.0.0.0/8", addr), Err(CidrError::BadAddress(_))),
            "contains(\"10.0.0.0/8\", {addr:?}) must be Err(BadAddress): it is {:?}",
            contains("10.0.0.0/8", addr)
        );
    }
}
