//! The QPACK decoder against RFC 9204 Appendix B (../shared/vectors/rfc9204-qpack-examples.txt):
//! one connection, B.1 to B.5 in order, with one decoder. Every encoder and decoder stream
//! instruction is checked against the RFC's interpretation, every field section's Required
//! Insert Count, Base and field lines (value, table, index), and the dynamic table after each step.

use netlab::http::hpack::Source;
use netlab::http::qpack::{decoder_stream, Decoder, DecoderInstruction, EncoderInstruction, QpackError};

fn vectors() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/rfc9204-qpack-examples.txt");
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

/// The integers in a line of the RFC's text, in order.
fn numbers(s: &str) -> Vec<usize> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect()
}

/// The `(name=value)` at the end of an interpretation line.
fn named(s: &str) -> String {
    let inside = s
        .rsplit_once('(')
        .map(|(_, r)| r.trim_end_matches(')'))
        .unwrap_or_default();
    inside.replacen('=', ": ", 1)
}

/// The steps (names with bytes) in the order the file gives them.
fn steps(v: &[(String, String)]) -> Vec<String> {
    v.iter()
        .filter(|(k, _)| !k.contains('.'))
        .map(|(k, _)| k.clone())
        .collect()
}

#[test]
fn appendix_b_instructions_sections_and_tables() {
    let v = vectors();
    let get = |k: &str| v.iter().find(|(key, _)| key == k).map(|(_, val)| val.clone());
    let list =
        |name: &str, what: &str| -> Vec<String> { (1..).map_while(|i| get(&format!("{name}.{what}.{i}"))).collect() };
    // B.2 sets the capacity to 220: the decoder must have announced at least that.
    let mut decoder = Decoder::new(220);
    let mut checked = 0;
    for name in steps(&v) {
        let bytes = hex(&get(&name).unwrap());
        let means = list(&name, "means");
        let stream = get(&format!("{name}.stream")).unwrap();
        match stream.as_str() {
            "encoder" => {
                let said = decoder.encoder_stream(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(said.len(), means.len(), "{name}: instructions");
                for (got, want) in said.iter().zip(&means) {
                    let n = numbers(want);
                    match got {
                        EncoderInstruction::SetCapacity { capacity } => {
                            assert!(want.starts_with("Set Dynamic Table Capacity"), "{name}: {want}");
                            assert_eq!(*capacity, n[0]);
                        }
                        EncoderInstruction::InsertWithNameReference {
                            source,
                            index,
                            name: n_,
                            value,
                        } => {
                            assert!(want.starts_with("Insert With Name Reference"), "{name}: {want}");
                            assert_eq!(
                                *source == Source::Static,
                                want.contains("Static Table"),
                                "{name}: {want}"
                            );
                            assert_eq!(*index, n[0], "{name}: {want}");
                            assert_eq!(format!("{n_}: {value}"), named(want), "{name}");
                        }
                        EncoderInstruction::InsertWithLiteralName { name: n_, value } => {
                            assert!(want.starts_with("Insert With Literal Name"), "{name}: {want}");
                            assert_eq!(format!("{n_}: {value}"), named(want), "{name}");
                        }
                        EncoderInstruction::Duplicate { index, .. } => {
                            assert!(want.starts_with("Duplicate"), "{name}: {want}");
                            assert_eq!(*index, n[0], "{name}: {want}");
                        }
                    }
                    checked += 1;
                }
            }
            "decoder" => {
                let said = decoder_stream(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(said.len(), means.len(), "{name}: instructions");
                for (got, want) in said.iter().zip(&means) {
                    let (kind, number) = match *got {
                        DecoderInstruction::SectionAcknowledgment { stream } => {
                            ("Section Acknowledgment", stream as usize)
                        }
                        DecoderInstruction::StreamCancellation { stream } => ("Stream Cancellation", stream as usize),
                        DecoderInstruction::InsertCountIncrement { increment } => ("Insert Count Increment", increment),
                    };
                    assert!(want.starts_with(kind), "{name}: {want} is not {kind}");
                    assert_eq!(number, numbers(want)[0], "{name}: {want}");
                    checked += 1;
                }
            }
            _ => {
                let section = decoder.section(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                let prefix = numbers(&means[0]);
                assert_eq!(
                    [section.required_insert_count, section.base],
                    [prefix[0], prefix[1]],
                    "{name}: {}",
                    means[0]
                );
                let got: Vec<String> = section
                    .fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.value))
                    .collect();
                assert_eq!(got, list(&name, "field"), "{name}: fields");
                assert_eq!(section.fields.len(), means.len() - 1, "{name}: field lines");
                for (f, want) in section.fields.iter().zip(&means[1..]) {
                    assert!(want.starts_with("Indexed Field Line") || want.starts_with("Literal Field Line"));
                    assert_eq!(
                        f.representation == "indexed_post_base",
                        want.contains("Post-Base"),
                        "{name}: {want}"
                    );
                    assert_eq!(
                        f.source == Source::Static,
                        want.contains("Static Table"),
                        "{name}: {want}"
                    );
                    // The index the RFC names last before the field: the absolute one for dynamic entries.
                    let n = numbers(want.rsplit_once('(').unwrap().0);
                    assert_eq!(f.index, n.last().copied(), "{name}: {want}");
                    assert_eq!(format!("{}: {}", f.name, f.value), named(want), "{name}");
                    checked += 1;
                }
                let encoded: usize = section.fields.iter().map(|f| f.encoded_len).sum();
                assert_eq!(encoded, bytes.len() - 2, "{name}: field lines after the 2-octet prefix");
            }
        }
        let want_table: Vec<String> = list(&name, "table")
            .iter()
            .map(|t| {
                let (abs, rest) = t.split_once(' ').unwrap();
                format!("{abs} {}", rest.split_once(' ').unwrap().1)
            })
            .collect();
        if !want_table.is_empty() {
            let table: Vec<String> = decoder
                .table()
                .iter()
                .map(|(a, n, val)| format!("abs={a} {n}: {val}"))
                .collect();
            assert_eq!(table, want_table, "{name}: dynamic table");
        }
        assert_eq!(
            decoder.size().to_string(),
            get(&format!("{name}.table_size")).unwrap(),
            "{name}: table size"
        );
        checked += 1;
    }
    // 6 encoder and 3 decoder instructions, 6 field lines, and the table after each of 10 steps.
    assert_eq!(checked, 6 + 3 + 6 + 10);
}

#[test]
fn b4_section_before_its_duplicate_is_blocked() {
    let v = vectors();
    let get = |k: &str| hex(&v.iter().find(|(key, _)| key == k).unwrap().1);
    let mut decoder = Decoder::new(220);
    decoder.encoder_stream(&get("b2_encoder")).unwrap();
    decoder.encoder_stream(&get("b3_encoder")).unwrap();
    // The packet with the Duplicate is late: stream 8's section needs 4 inserts, 3 arrived.
    assert_eq!(decoder.section(&get("b4_section")), Err(QpackError::Blocked(4, 3)));
    decoder.encoder_stream(&get("b4_encoder")).unwrap();
    assert_eq!(decoder.section(&get("b4_section")).unwrap().fields.len(), 3);
    // A decoder that announced less capacity than B.2 sets refuses it.
    assert_eq!(
        Decoder::new(100).encoder_stream(&get("b2_encoder")),
        Err(QpackError::CapacityTooLarge(220, 100))
    );
}
