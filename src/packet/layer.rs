//! One decoded layer of a frame, as the trace shows it: a protocol's name and its fields in
//! wire order. The link, network and transport decoders (`layers.rs`) and the application
//! decoders (`apps.rs`) both produce these; this type is all they share, so `layers` calls
//! `apps` and `apps` needs nothing from `layers`.

use serde::{Deserialize, Serialize};

/// One decoded layer: its name and its fields, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    pub fields: Vec<(String, String)>,
}

impl Layer {
    /// A layer called `name` with `fields` as (field, value) pairs.
    pub fn new(name: &str, fields: Vec<(&str, String)>) -> Layer {
        Layer {
            name: name.to_string(),
            fields: fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}
