//! `porthole-vnc`: Porthole's built-in VNC back end — one RFB connection per session,
//! each screen update encoded **once** into Guacamole instructions and shared by every
//! viewer, with snapshots for late and lagging viewers. No guacd involved.
//!
//! # Layers
//!
//! * [`rfb`] — a sans-IO RFB client (RFC 6143): bytes in, typed events out, input
//!   encoded to bytes. No sockets, no tokio; bounded against hostile servers.
//! * [`framebuffer`] — the pixels, the damage since the last frame (tile grid that moves
//!   with CopyRect), the cursor.
//! * [`encode`] — one frame of damage → one `Bytes` of Guacamole instructions (`copy`,
//!   PNG/JPEG `img` streams, `cursor`, `clipboard`, `sync`), snapshots, and lossless
//!   refinement of lossy regions once they are still. Synchronous, run on the blocking
//!   pool.
//! * [`fanout`] (feature `driver`) — the bounded ring that hands the same frames to
//!   every viewer; slow viewers skip to a snapshot.
//! * [`driver`] (feature `driver`, tokio) — [`VncSession`]: connect, handshake, pacing
//!   by the originator's acknowledgements, decode/encode on `spawn_blocking`, input.
//!
//! # Integrating a session (for the gateway)
//!
//! ```no_run
//! # async fn demo() -> Result<(), porthole_vnc::VncError> {
//! use porthole_vnc::{VncConfig, VncSession};
//! // Connection parameters → config. Errors carry the Guacamole status to close with.
//! let mut cfg = VncConfig::new("10.0.0.7", 5901);
//! cfg.rfb.password = Some("secret".into());
//! cfg.encoder.jpeg = true; // every viewer announced image/jpeg
//! let vnc = VncSession::connect(cfg).await?; // Err(e) → close with e.status()
//!
//! // Each tunnel (originator or viewer) owns a Subscriber and writes what it yields as
//! // one WebSocket text frame: complete instructions, the first delivery a snapshot
//! // (size, pixels, cursor, pointer, sync). The same `Bytes` go to every viewer.
//! let mut sub = vnc.subscribe();
//! while let Ok(frame) = sub.next().await {
//!     // ws.send(frame.bytes).await;
//!     # let _ = frame;
//!     # break;
//! }
//! // `sub.next()` returning Err(end) means the session is over: close with end.status.
//!
//! // Input from any viewer allowed to control (read-only viewers' input is dropped by
//! // the gateway's filter, as for guacd sessions):
//! vnc.key(0xff0d, true).await?; // `key,<keysym>,<pressed>`
//! vnc.pointer(100, 200, 1).await?; // `mouse,<x>,<y>,<mask>`
//! vnc.clipboard("text".into()).await?; // a completed `clipboard` text/plain stream
//! vnc.resize(1280, 720).await?; // the originator's `size` (debounce it)
//!
//! // Pacing: the originator's `sync,<ts>` echoes. Viewers' echoes are ignored.
//! vnc.ack(12345);
//! vnc.set_paced(false).await?; // while no originator is attached
//! # Ok(()) }
//! ```
//!
//! * **Ownership:** the session holds the [`VncSession`] (cheap to clone; the connection
//!   closes when the last clone drops or on [`VncSession::close`]). Tunnels hold only
//!   their [`Subscriber`]. [`VncSession::ended`] says when and why it ended
//!   ([`End::status`] is the Guacamole status: 515 server closed or broke the protocol,
//!   519 unreachable, 514 timeout, 769 wrong/missing VNC password, 520 refused).
//! * **Formats:** JPEG is used only while [`encode::EncoderConfig::jpeg`] is on; call
//!   [`VncSession::set_jpeg`] with whether *every* viewer announced `image/jpeg`. PNG is
//!   always allowed (every Guacamole client supports it).
//! * **Streams and layers used:** server streams 1 (images), 3 (cursor image), 5
//!   (clipboard) — odd, like guacd's broadcast streams, leaving even indices to per-viewer
//!   streams of the gateway; layer 0 and buffer −1 (cursor). Browsers' `ack`s for these
//!   streams need not be forwarded anywhere.
//! * **Pointer:** frames carry no `mouse` (the originator draws its own cursor);
//!   snapshots do. For guacd parity the gateway can send `mouse` to viewers other than
//!   the one moving it from [`VncSession::pointer_position`].
//! * **Clipboard:** the server's clipboard goes into the shared frames (guacd also
//!   sends it to every user).
//!
//! # Why an own RFB client
//!
//! `vnc-rs` (0.5/0.6) was the candidate: it is tokio-coupled (no sans-IO core to test
//! byte by byte or fuzz), lacks ExtendedDesktopSize/SetDesktopSize and the Extended
//! Clipboard, keeps one maintainer with little use, and still depends on thiserror 1.
//! The client needed here is small (handshake, four encodings, four pseudo-encodings),
//! so it is written as a sans-IO module with the same discipline as `porthole-protocol`:
//! typed errors, every length capped before allocation, property tests.
//!
//! Encodings: ZRLE first (compact on any network), Hextile second (no zlib, cheap for
//! both ends on a LAN; decoded tile by tile so large rectangles never buffer whole),
//! CopyRect, Raw. Tight is not requested: its JPEG mode would put a lossy VNC-side
//! codec before Porthole's own lossy/lossless decision (double compression, and the
//! "refine to lossless" promise could never hold), and its lossless modes do not beat
//! ZRLE enough to justify a fourth decoder with four zlib streams. WebP is not produced:
//! the pure-Rust `image-webp` encoder is lossless only, where indexed/RGB PNG already
//! serves; JPEG is the lossy codec every browser decodes fast.
#![forbid(unsafe_code)]

pub mod encode;
pub mod error;
pub mod framebuffer;
pub mod rfb;

#[cfg(feature = "driver")]
pub mod driver;
#[cfg(feature = "driver")]
pub mod fanout;

pub use error::VncError;

#[cfg(feature = "driver")]
pub use driver::{DesktopInfo, DriverStats, Pacing, VncConfig, VncSession};
#[cfg(feature = "driver")]
pub use fanout::{End, FanoutConfig, Frame, FrameBus, Subscriber};
