//! A sans-IO RFB (VNC) client, RFC 6143.
//!
//! [`RfbClient`] is a state machine: feed it the bytes the server sent
//! ([`RfbClient::feed`]), pull typed [`Event`]s out ([`RfbClient::poll_event`]), and
//! write whatever [`RfbClient::take_output`] returns to the server. Input (keys, pointer,
//! clipboard, resize, update requests) is encoded by methods of the client into that same
//! output buffer. No sockets, no clocks, no tasks: the async driver (`crate::driver`) and
//! the tests supply the bytes.
//!
//! What it speaks:
//! * versions 3.3, 3.7 and 3.8 (anything newer is answered with 3.8);
//! * security None and VNC Authentication (DES, [`auth`]);
//! * one pixel format, [`PixelFormat::BGRX`] (32-bit true colour), set right after
//!   `ServerInit`, so every pixel the server sends is 4 bytes B, G, R, X;
//! * encodings Raw, CopyRect, Hextile and ZRLE ([`Encoding`]), pseudo-encodings Cursor,
//!   DesktopSize, ExtendedDesktopSize and Extended Clipboard ([`clipboard`]);
//! * messages FramebufferUpdate, SetColourMapEntries (ignored), Bell, ServerCutText out of
//!   the server; SetPixelFormat, SetEncodings, FramebufferUpdateRequest, KeyEvent,
//!   PointerEvent, ClientCutText and SetDesktopSize into it.
//!
//! Every length the server sends is checked before anything is allocated: rectangles must
//! lie inside the framebuffer, the framebuffer is at most [`ClientConfig::max_pixels`],
//! cursors at most [`MAX_CURSOR_SIDE`] square, cut text at most
//! [`ClientConfig::max_cut_text`] (longer text is skipped, not buffered), reason strings at
//! most [`MAX_REASON`]. A violation is a typed [`RfbError`]; nothing panics.

pub mod auth;
mod client;
pub mod clipboard;
mod hextile;
pub mod messages;
mod zrle;

pub use client::RfbClient;
pub use messages::PixelFormat;

use bytes::Bytes;

/// The longest reason string (connection refused, authentication failed) accepted.
pub const MAX_REASON: usize = 4096;
/// The largest cursor side accepted (pixels).
pub const MAX_CURSOR_SIDE: u16 = 512;

/// RFB encoding numbers this client knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Raw,
    CopyRect,
    Hextile,
    Zrle,
}

impl Encoding {
    /// The encoding number on the wire.
    pub fn number(self) -> i32 {
        match self {
            Encoding::Raw => 0,
            Encoding::CopyRect => 1,
            Encoding::Hextile => 5,
            Encoding::Zrle => 16,
        }
    }
}

/// Pseudo-encoding numbers.
pub mod pseudo {
    pub const CURSOR: i32 = -239;
    pub const DESKTOP_SIZE: i32 = -223;
    pub const LAST_RECT: i32 = -224;
    pub const EXTENDED_DESKTOP_SIZE: i32 = -308;
    pub const EXTENDED_CLIPBOARD: i32 = 0xC0A1_E5CEu32 as i32;
}

/// The negotiated protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V3_3,
    V3_7,
    V3_8,
}

/// How the client behaves; fixed for the connection.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The VNC password, if the connection has one (only its first 8 bytes count).
    pub password: Option<String>,
    /// Ask the server to keep other clients connected (ClientInit shared-flag).
    pub shared: bool,
    /// Encodings in order of preference. CopyRect is honoured wherever it appears.
    pub encodings: Vec<Encoding>,
    /// Ask for the Extended Clipboard (UTF-8) pseudo-encoding.
    pub extended_clipboard: bool,
    /// The largest framebuffer accepted, in pixels (width × height).
    pub max_pixels: u32,
    /// The longest clipboard text accepted, in bytes; longer text is skipped.
    pub max_cut_text: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            password: None,
            shared: true,
            encodings: vec![
                Encoding::Zrle,
                Encoding::Hextile,
                Encoding::CopyRect,
                Encoding::Raw,
            ],
            extended_clipboard: true,
            // 8K UHD: 7680 × 4320 (132 MiB of BGRX).
            max_pixels: 7680 * 4320,
            max_cut_text: 1 << 20,
        }
    }
}

/// What the server said in `ServerInit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInit {
    pub width: u16,
    pub height: u16,
    pub name: String,
    /// The server's native pixel format (the client replaces it with BGRX at once).
    pub pixel_format: PixelFormat,
}

/// The pixels of one rectangle, or how to produce them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectKind {
    /// `w × h` pixels, 4 bytes each (B, G, R, X), rows of `w * 4` bytes.
    Pixels(Bytes),
    /// Copy the same-sized rectangle at (`src_x`, `src_y`) of the framebuffer here.
    CopyRect { src_x: u16, src_y: u16 },
}

/// One rectangle of a framebuffer update, inside the framebuffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rect {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
    pub kind: RectKind,
}

/// A cursor shape from the Cursor pseudo-encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub hotspot_x: u16,
    pub hotspot_y: u16,
    pub width: u16,
    pub height: u16,
    /// `width × height` pixels, 4 bytes each: R, G, B, A (A is 0 or 255).
    pub rgba: Vec<u8>,
}

/// Why the framebuffer changed size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeReason {
    /// The server changed it (or DesktopSize, which has no reason).
    Server,
    /// This client asked (SetDesktopSize).
    ThisClient,
    /// Another client asked.
    OtherClient,
}

/// A screen of the ExtendedDesktopSize layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub id: u32,
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
    pub flags: u32,
}

/// Something the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake is over; the client has already queued SetPixelFormat,
    /// SetEncodings and a full FramebufferUpdateRequest.
    Ready(ServerInit),
    /// A FramebufferUpdate begins.
    UpdateBegin,
    /// A rectangle of the current update.
    Rect(Rect),
    /// The cursor shape changed (an empty shape hides the cursor).
    Cursor(Cursor),
    /// The framebuffer is now `width × height`; its content is undefined until the
    /// rectangles that follow.
    Resize {
        width: u16,
        height: u16,
        reason: ResizeReason,
    },
    /// The server refused a SetDesktopSize (ExtendedDesktopSize status 1–3).
    ResizeRefused { status: u16 },
    /// The current FramebufferUpdate is complete.
    UpdateEnd,
    /// The server rang the bell.
    Bell,
    /// The server's clipboard (from Latin-1 or the UTF-8 extended clipboard).
    ServerCutText(String),
}

/// A protocol failure. Each variant says who is at fault: the server (malformed or
/// unsupported data) or the credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RfbError {
    #[error("the server is not an RFB server (version string {0:?})")]
    BadVersion(String),
    #[error("the server refused the connection: {0}")]
    Refused(String),
    #[error("the server offers no security type this client supports (offered {0:?}); enable None or VncAuth on it")]
    UnsupportedSecurity(Vec<u8>),
    #[error("the server asks for a VNC password and the connection has none")]
    PasswordRequired,
    #[error("VNC authentication failed{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    AuthFailed(Option<String>),
    #[error("the server sent a {what} of {len} bytes, more than the {max} allowed")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the server's framebuffer of {width}x{height} exceeds the configured maximum")]
    FramebufferTooLarge { width: u16, height: u16 },
    #[error("the server sent unknown message type {0}")]
    UnknownMessage(u8),
    #[error("the server sent encoding {0}, which was not requested")]
    UnknownEncoding(i32),
    #[error("rectangle {x},{y} {w}x{h} lies outside the {fb_w}x{fb_h} framebuffer")]
    RectOutOfBounds {
        x: u16,
        y: u16,
        w: u16,
        h: u16,
        fb_w: u16,
        fb_h: u16,
    },
    #[error("cursor of {0}x{1} is larger than allowed")]
    CursorTooLarge(u16, u16),
    #[error("malformed {encoding} data: {detail}")]
    Malformed {
        encoding: &'static str,
        detail: &'static str,
    },
    #[error("the server sent a framebuffer update before the handshake finished")]
    Unexpected,
    #[error("the connection already failed")]
    Failed,
}
