//! The HPACK decoder against RFC 7541 Appendix C (../shared/vectors/rfc7541-hpack-examples.txt):
//! every example's header list, dynamic table and table size, decoding each connection's blocks
//! in order with one decoder.

use netlab::http::hpack::{Decoder, Source};

fn vectors() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/rfc7541-hpack-examples.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = "))
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap();
            (k.split(' ').next().unwrap().to_string(), v.to_string())
        })
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    netlab::hex::decode(s).unwrap_or_else(|| panic!("not hex: {s}"))
}

#[test]
fn appendix_c_examples_decode_to_the_rfc_header_lists_and_tables() {
    let v = vectors();
    let get = |k: &str| v.iter().find(|(key, _)| key == k).map(|(_, val)| val.clone());
    let mut checked = 0;
    for (connection, steps, table_size) in [
        ("c2_1", 1, 4096),
        ("c2_2", 1, 4096),
        ("c2_3", 1, 4096),
        ("c2_4", 1, 4096),
        ("c3", 3, 4096),
        ("c4", 3, 4096),
        ("c5", 3, 256),
        ("c6", 3, 256),
    ] {
        let mut decoder = Decoder::new(table_size);
        for step in 1..=steps {
            let name = if steps == 1 {
                connection.to_string()
            } else {
                format!("{connection}_{step}")
            };
            let block = hex(&get(&format!("{name}.header_block")).unwrap_or_else(|| panic!("{name}: no block")));
            let fields = decoder.decode(&block).unwrap_or_else(|e| panic!("{name}: {e}"));
            let got: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.name, f.value)).collect();
            let want: Vec<String> = (1..).map_while(|i| get(&format!("{name}.header.{i}"))).collect();
            assert_eq!(got, want, "{name}: header list");
            let table: Vec<String> = decoder
                .table()
                .iter()
                .map(|(n, val, size)| format!("(s={size}) {n}: {val}"))
                .collect();
            let want_table: Vec<String> = (1..).map_while(|i| get(&format!("{name}.table.{i}"))).collect();
            assert_eq!(table, want_table, "{name}: dynamic table");
            assert_eq!(
                decoder.size().to_string(),
                get(&format!("{name}.table_size")).unwrap(),
                "{name}: table size"
            );
            assert_eq!(
                fields.iter().map(|f| f.encoded_len).sum::<usize>(),
                block.len(),
                "{name}: every octet accounted for"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}

#[test]
fn the_second_request_reuses_the_dynamic_table() {
    let v = vectors();
    let block = |k: &str| hex(&v.iter().find(|(key, _)| key == k).unwrap().1);
    let mut decoder = Decoder::new(4096);
    let first = decoder.decode(&block("c4_1.header_block")).unwrap();
    assert_eq!(first[3].representation, "incremental");
    assert!(first[3].huffman, ":authority is Huffman-coded in C.4");
    let second = decoder.decode(&block("c4_2.header_block")).unwrap();
    let authority = second.iter().find(|f| f.name == ":authority").unwrap();
    assert_eq!(
        (authority.source, authority.index, authority.encoded_len),
        (Source::Dynamic, Some(62), 1)
    );
    let method = &second[0];
    assert_eq!((method.source, method.index), (Source::Static, Some(2)));
}

#[test]
fn hostile_blocks_get_named_errors() {
    let mut d = Decoder::new(4096);
    assert!(d
        .decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        .unwrap_err()
        .to_string()
        .contains("too large"));
    assert!(d.decode(&[0xff]).unwrap_err().to_string().contains("ends inside"));
    assert!(d.decode(&[0x80]).unwrap_err().to_string().contains("index 0"));
    assert!(d.decode(&[0xbe]).unwrap_err().to_string().contains("index 62"));
    assert!(d
        .decode(&[0x40, 0x7f, 0x00])
        .unwrap_err()
        .to_string()
        .contains("ends inside"));
    assert!(d
        .decode(&[0x3f, 0xe2, 0x1f])
        .unwrap_err()
        .to_string()
        .contains("above the allowed"));
    assert!(d
        .decode(&[0x40, 0x81, 0xff, 0x01, b'v'])
        .unwrap_err()
        .to_string()
        .contains("Huffman"));
}
