//! placeholder: filled by the link model work
