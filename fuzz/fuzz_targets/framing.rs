//! How the stateful targets cut one input into several pieces: `[tag: u8][length: u16 BE][bytes]`,
//! repeated; a last piece shorter than its length takes what is left. The seeds are written in
//! this form (fuzz/seeds.py).

/// The pieces of `data`, each with its tag.
pub fn pieces(mut data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let [tag, hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        out.push((*tag, &rest[..len]));
        data = &rest[len..];
    }
    out
}

/// The first two octets as a number (a table size), and the rest.
pub fn size_and_rest(data: &[u8]) -> (usize, &[u8]) {
    match data {
        [hi, lo, rest @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
        _ => (0, &[]),
    }
}
