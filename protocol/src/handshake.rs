//! The guacd handshake, typed (guacamole-wire.md §2).
//!
//! ```text
//! → select,<protocol or $id>
//! ← args,VERSION_1_5_0,<name>…
//! → size,w,h,dpi  audio,…  video,…  image,…  timezone,tz  name,n   (any order, optional)
//! → connect,VERSION_1_5_0,<value>…   (one value per name)
//! ← ready,$<connection id>
//! ```
//!
//! [`HandshakeInstruction`] parses and encodes every one of these, so both the gateway
//! (client side) and the test simulator (server side) share one definition.
//! [`ProtocolVersion`] implements the exact-string rule of §2.2: guacd maps only the four
//! known strings; anything else is "unknown" and disables every version-gated feature,
//! so the gateway must answer with exactly `VERSION_1_5_0`.

use crate::{encoder::InstructionWriter, Instruction};
use bytes::BytesMut;
use thiserror::Error;

/// A protocol version guacd knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    V1_0_0,
    V1_1_0,
    V1_3_0,
    V1_5_0,
}

impl ProtocolVersion {
    /// The newest version Porthole speaks.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V1_5_0;

    /// The wire string, e.g. `VERSION_1_5_0`.
    pub fn as_wire(self) -> &'static str {
        match self {
            ProtocolVersion::V1_0_0 => "VERSION_1_0_0",
            ProtocolVersion::V1_1_0 => "VERSION_1_1_0",
            ProtocolVersion::V1_3_0 => "VERSION_1_3_0",
            ProtocolVersion::V1_5_0 => "VERSION_1_5_0",
        }
    }

    /// guacd's mapping of a `connect` version slot: the four exact strings, and the
    /// empty string as 1.0.0. Anything else is unknown (`None`).
    pub fn from_wire(s: &str) -> Option<ProtocolVersion> {
        Some(match s {
            "" | "VERSION_1_0_0" => ProtocolVersion::V1_0_0,
            "VERSION_1_1_0" => ProtocolVersion::V1_1_0,
            "VERSION_1_3_0" => ProtocolVersion::V1_3_0,
            "VERSION_1_5_0" => ProtocolVersion::V1_5_0,
            _ => return None,
        })
    }

    /// Whether `msg` join/leave notices and the `name` instruction exist (≥ 1.5.0).
    pub fn supports_msg(self) -> bool {
        self >= ProtocolVersion::V1_5_0
    }

    /// Whether `timezone` may be sent and handshake order is free (≥ 1.1.0).
    pub fn supports_timezone(self) -> bool {
        self >= ProtocolVersion::V1_1_0
    }

    /// Whether `required` may be sent (≥ 1.3.0).
    pub fn supports_required(self) -> bool {
        self >= ProtocolVersion::V1_3_0
    }
}

/// What guacd advertised as the first element of `args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdvertisedVersion {
    /// No `VERSION_` element: guacd older than 1.1.0; every element is a parameter name.
    Legacy,
    /// One of the known versions.
    Known(ProtocolVersion),
    /// A `VERSION_…` string we do not know: a newer guacd.
    Newer(String),
}

impl AdvertisedVersion {
    /// The version to answer in `connect`: the lower of guacd's and ours; `None` for a
    /// legacy guacd (no version slot at all).
    pub fn negotiate(&self) -> Option<ProtocolVersion> {
        match self {
            AdvertisedVersion::Legacy => None,
            AdvertisedVersion::Known(v) => Some((*v).min(ProtocolVersion::LATEST)),
            AdvertisedVersion::Newer(_) => Some(ProtocolVersion::LATEST),
        }
    }
}

/// The handshake's `size` values (device pixels and DPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
    pub dpi: u32,
}

impl Default for Size {
    /// The stock client's defaults when the browser supplied nothing: 1024×768 at 96 dpi.
    fn default() -> Self {
        Size {
            width: 1024,
            height: 768,
            dpi: 96,
        }
    }
}

/// One handshake instruction, either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeInstruction {
    /// `select,<protocol>` or `select,$<connection id>` (join).
    Select(String),
    /// `args,[VERSION_x_y_z,]<name>…`
    Args {
        version: AdvertisedVersion,
        names: Vec<String>,
    },
    Size(Size),
    Audio(Vec<String>),
    Video(Vec<String>),
    Image(Vec<String>),
    Timezone(String),
    Name(String),
    /// `connect,<element>…` — for a versioned guacd the first element is the version.
    Connect(Vec<String>),
    /// `ready,$<connection id>`
    Ready(String),
}

/// A handshake instruction that does not have the shape it must.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HandshakeError {
    #[error("'{opcode}' needs {min} argument(s), got {got}")]
    TooFewArgs {
        opcode: &'static str,
        min: usize,
        got: usize,
    },
    #[error("'{opcode}' argument '{value}' is not a valid number")]
    BadNumber { opcode: &'static str, value: String },
    #[error("'{0}' is not a handshake instruction")]
    NotHandshake(String),
}

fn num(opcode: &'static str, v: &str) -> Result<u32, HandshakeError> {
    v.parse().map_err(|_| HandshakeError::BadNumber {
        opcode,
        value: v.to_owned(),
    })
}

fn need(opcode: &'static str, instr: &Instruction, min: usize) -> Result<(), HandshakeError> {
    if instr.arg_count() < min {
        return Err(HandshakeError::TooFewArgs {
            opcode,
            min,
            got: instr.arg_count(),
        });
    }
    Ok(())
}

impl HandshakeInstruction {
    /// Parses a handshake instruction. Unknown opcodes give
    /// [`HandshakeError::NotHandshake`]; guacd ignores those during the handshake, and so
    /// may the caller.
    pub fn parse(instr: &Instruction) -> Result<HandshakeInstruction, HandshakeError> {
        let args = || instr.args().map(str::to_owned).collect::<Vec<_>>();
        Ok(match instr.opcode() {
            "select" => {
                need("select", instr, 1)?;
                HandshakeInstruction::Select(instr.arg(0).unwrap_or("").to_owned())
            }
            "args" => {
                let mut names = args();
                let version = match names.first() {
                    Some(v) if v.starts_with("VERSION_") => {
                        let v = names.remove(0);
                        match ProtocolVersion::from_wire(&v) {
                            Some(k) => AdvertisedVersion::Known(k),
                            None => AdvertisedVersion::Newer(v),
                        }
                    }
                    _ => AdvertisedVersion::Legacy,
                };
                HandshakeInstruction::Args { version, names }
            }
            "size" => {
                need("size", instr, 2)?;
                let width = num("size", instr.arg(0).unwrap_or(""))?;
                let height = num("size", instr.arg(1).unwrap_or(""))?;
                let dpi = match instr.arg(2) {
                    Some(d) => num("size", d)?,
                    None => 96,
                };
                HandshakeInstruction::Size(Size { width, height, dpi })
            }
            "audio" => HandshakeInstruction::Audio(args()),
            "video" => HandshakeInstruction::Video(args()),
            "image" => HandshakeInstruction::Image(args()),
            "timezone" => HandshakeInstruction::Timezone(instr.arg(0).unwrap_or("").to_owned()),
            "name" => HandshakeInstruction::Name(instr.arg(0).unwrap_or("").to_owned()),
            "connect" => HandshakeInstruction::Connect(args()),
            "ready" => {
                need("ready", instr, 1)?;
                HandshakeInstruction::Ready(instr.arg(0).unwrap_or("").to_owned())
            }
            other => return Err(HandshakeError::NotHandshake(other.to_owned())),
        })
    }

    /// Appends the wire form to `buf`.
    pub fn encode(&self, buf: &mut BytesMut) {
        fn list(buf: &mut BytesMut, op: &str, items: &[String]) {
            let mut w = InstructionWriter::new(buf, op);
            for i in items {
                w.arg(i);
            }
            w.finish();
        }
        match self {
            HandshakeInstruction::Select(s) => list(buf, "select", std::slice::from_ref(s)),
            HandshakeInstruction::Args { version, names } => {
                let mut w = InstructionWriter::new(buf, "args");
                match version {
                    AdvertisedVersion::Legacy => {}
                    AdvertisedVersion::Known(v) => {
                        w.arg(v.as_wire());
                    }
                    AdvertisedVersion::Newer(s) => {
                        w.arg(s);
                    }
                }
                for n in names {
                    w.arg(n);
                }
                w.finish();
            }
            HandshakeInstruction::Size(s) => {
                InstructionWriter::new(buf, "size")
                    .arg_int(s.width)
                    .arg_int(s.height)
                    .arg_int(s.dpi)
                    .finish();
            }
            HandshakeInstruction::Audio(v) => list(buf, "audio", v),
            HandshakeInstruction::Video(v) => list(buf, "video", v),
            HandshakeInstruction::Image(v) => list(buf, "image", v),
            HandshakeInstruction::Timezone(t) => list(buf, "timezone", std::slice::from_ref(t)),
            HandshakeInstruction::Name(n) => list(buf, "name", std::slice::from_ref(n)),
            HandshakeInstruction::Connect(v) => list(buf, "connect", v),
            HandshakeInstruction::Ready(id) => list(buf, "ready", std::slice::from_ref(id)),
        }
    }
}

/// What the client side of a handshake tells guacd about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub size: Size,
    pub audio: Vec<String>,
    pub video: Vec<String>,
    pub image: Vec<String>,
    pub timezone: Option<String>,
    /// The user's display name; empty for anonymous.
    pub name: Option<String>,
}

/// Encodes everything the client sends after `args`: the capability instructions in the
/// stock client's order, then `connect` with one value per advertised parameter name.
///
/// `values` maps parameter names to values; names guacd advertised but `values` lacks
/// are sent empty, and values for names guacd did not advertise are not sent.
pub fn encode_client_reply<'a>(
    buf: &mut BytesMut,
    advertised: &AdvertisedVersion,
    names: &[String],
    info: &ClientInfo,
    mut value_of: impl FnMut(&str) -> Option<&'a str>,
) -> Option<ProtocolVersion> {
    let version = advertised.negotiate();
    HandshakeInstruction::Size(info.size).encode(buf);
    HandshakeInstruction::Audio(info.audio.clone()).encode(buf);
    HandshakeInstruction::Video(info.video.clone()).encode(buf);
    HandshakeInstruction::Image(info.image.clone()).encode(buf);
    if let (Some(v), Some(tz)) = (version, &info.timezone) {
        if v.supports_timezone() && !tz.is_empty() {
            HandshakeInstruction::Timezone(tz.clone()).encode(buf);
        }
    }
    if let (Some(v), Some(n)) = (version, &info.name) {
        if v.supports_msg() {
            HandshakeInstruction::Name(n.clone()).encode(buf);
        }
    }
    let mut w = InstructionWriter::new(buf, "connect");
    if let Some(v) = version {
        w.arg(v.as_wire());
    }
    for n in names {
        w.arg(value_of(n).unwrap_or(""));
    }
    w.finish();
    version
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Parser;

    fn parse_one(b: &[u8]) -> Instruction {
        let mut p = Parser::new(crate::Limits::UPSTREAM);
        let mut buf = BytesMut::from(b);
        p.next(&mut buf).unwrap().unwrap()
    }

    #[test]
    fn version_exact_string_rule() {
        assert_eq!(
            ProtocolVersion::from_wire(""),
            Some(ProtocolVersion::V1_0_0)
        );
        assert_eq!(ProtocolVersion::from_wire("VERSION_1_6_0"), None);
        let a =
            HandshakeInstruction::parse(&parse_one(b"4.args,13.VERSION_1_6_0,8.hostname,4.port;"))
                .unwrap();
        let HandshakeInstruction::Args { version, names } = a else {
            panic!("not args")
        };
        assert_eq!(version, AdvertisedVersion::Newer("VERSION_1_6_0".into()));
        assert_eq!(version.negotiate(), Some(ProtocolVersion::V1_5_0));
        assert_eq!(names, ["hostname", "port"]);
        let legacy = HandshakeInstruction::parse(&parse_one(b"4.args,8.hostname,4.port;")).unwrap();
        assert!(matches!(
            legacy,
            HandshakeInstruction::Args {
                version: AdvertisedVersion::Legacy,
                ..
            }
        ));
    }

    #[test]
    fn client_reply_fills_values_in_args_order() {
        let mut buf = BytesMut::new();
        let names = vec!["hostname".to_string(), "port".into(), "read-only".into()];
        let info = ClientInfo {
            name: Some("alice".into()),
            timezone: Some("UTC".into()),
            image: vec!["image/png".into()],
            ..Default::default()
        };
        let v = encode_client_reply(
            &mut buf,
            &AdvertisedVersion::Known(ProtocolVersion::V1_5_0),
            &names,
            &info,
            |n| (n == "hostname").then_some("h"),
        );
        assert_eq!(v, Some(ProtocolVersion::V1_5_0));
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            "4.size,4.1024,3.768,2.96;5.audio;5.video;5.image,9.image/png;\
             8.timezone,3.UTC;4.name,5.alice;7.connect,13.VERSION_1_5_0,1.h,0.,0.;"
        );
    }

    #[test]
    fn size_defaults_dpi_and_checks_numbers() {
        let s = HandshakeInstruction::parse(&parse_one(b"4.size,3.800,3.600;")).unwrap();
        assert_eq!(
            s,
            HandshakeInstruction::Size(Size {
                width: 800,
                height: 600,
                dpi: 96
            })
        );
        assert!(HandshakeInstruction::parse(&parse_one(b"4.size,3.800;")).is_err());
        assert!(HandshakeInstruction::parse(&parse_one(b"4.size,1.x,1.1;")).is_err());
    }
}
