//! DNS: iterative resolution from the root, hop by hop, and the records on the way.

pub mod dnssec;
pub mod events;
pub mod hints;
pub mod lookup;
pub mod nsec3;
pub mod present;
pub mod render;
pub mod stub;
pub mod transport;
pub mod walk;
pub mod wire;
