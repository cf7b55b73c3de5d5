//! `porthole-protocol`: a sans-IO codec for the Apache Guacamole protocol.
//!
//! This crate knows nothing of sockets, tasks or sessions. It turns bytes into
//! [`Instruction`]s and back, and it names the things both ends of a Guacamole
//! conversation agree on:
//!
//! * [`parser`] — a streaming parser over [`bytes::BytesMut`]: feed it bytes as they
//!   arrive, get complete instructions whose elements are zero-copy slices of the input.
//!   Element lengths count Unicode code points; every limit of [`limits`] is enforced
//!   and every failure is a typed [`ParseError`] with the byte offset where it happened.
//! * [`encoder`] — writes instructions with correct code-point lengths, without
//!   allocating per element.
//! * [`handshake`] — the typed guacd handshake (`select`, `args`, `size`, `audio`,
//!   `video`, `image`, `timezone`, `name`, `connect`, `ready`) and version negotiation.
//! * [`status`] — the Guacamole status-code table with its HTTP and WebSocket mappings.
//! * [`opcode`] — the classification of browser→server instructions: arity, which
//!   ones a read-only viewer may send, which ones belong to the handshake only.
//!
//! The wire format is described in `shared/docs/guacamole-wire.md` §1–§5.
#![forbid(unsafe_code)]

pub mod encoder;
pub mod handshake;
pub mod instruction;
pub mod limits;
pub mod opcode;
pub mod parser;
pub mod status;

pub use encoder::{encode, encode_to_bytes, InstructionWriter};
pub use instruction::Instruction;
pub use limits::Limits;
pub use parser::{split_points, ParseError, ParseErrorKind, Parser};
pub use status::Status;
