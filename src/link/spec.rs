//! placeholder: filled by the link spec work
