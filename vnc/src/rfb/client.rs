//! The RFB client state machine. See the module documentation of [`crate::rfb`].

use super::clipboard::{self, Message as ClipMessage};
use super::hextile::HextileState;
use super::messages::{self, PixelFormat};
use super::zrle::ZrleDecoder;
use super::{
    auth, pseudo, ClientConfig, Cursor, Encoding, Event, Rect, RectKind, ResizeReason, RfbError,
    Screen, ServerInit, Version, MAX_CURSOR_SIDE, MAX_REASON,
};
use bytes::{Buf, Bytes, BytesMut};

/// The longest desktop name accepted.
const MAX_NAME: usize = 64 * 1024;

const SEC_NONE: u8 = 1;
const SEC_VNC_AUTH: u8 = 2;

#[derive(Debug, Clone, Copy)]
struct RectHeader {
    x: u16,
    y: u16,
    w: u16,
    h: u16,
}

enum State {
    Version,
    SecurityTypes,
    Security33,
    Challenge,
    SecurityResult,
    ServerInit,
    Message,
    Rects {
        remaining: u16,
    },
    Hextile {
        hdr: RectHeader,
        st: Box<HextileState>,
        remaining: u16,
    },
    Skip {
        left: usize,
    },
    Failed,
}

/// A sans-IO RFB client. See the module documentation of [`crate::rfb`].
pub struct RfbClient {
    cfg: ClientConfig,
    input: BytesMut,
    output: BytesMut,
    state: State,
    version: Version,
    width: u16,
    height: u16,
    zrle: ZrleDecoder,
    /// The server answered with ExtendedDesktopSize: SetDesktopSize is allowed.
    ext_desktop: bool,
    first_screen: Option<Screen>,
    /// The server's Extended Clipboard capabilities, once announced.
    ext_clip: Option<u32>,
    /// Our clipboard text, kept to answer the server's requests.
    local_clip: Option<String>,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

impl RfbClient {
    /// A client that waits for the server's version string.
    pub fn new(cfg: ClientConfig) -> Self {
        RfbClient {
            cfg,
            input: BytesMut::with_capacity(64 * 1024),
            output: BytesMut::new(),
            state: State::Version,
            version: Version::V3_8,
            width: 0,
            height: 0,
            zrle: ZrleDecoder::new(),
            ext_desktop: false,
            first_screen: None,
            ext_clip: None,
            local_clip: None,
        }
    }

    /// Appends bytes received from the server.
    pub fn feed(&mut self, data: &[u8]) {
        self.input.extend_from_slice(data);
    }

    /// Appends a buffer received from the server, without copying when nothing is
    /// pending.
    pub fn feed_bytes(&mut self, data: BytesMut) {
        if self.input.is_empty() {
            self.input = data;
        } else {
            self.input.extend_from_slice(&data);
        }
    }

    /// Bytes waiting to be written to the server, if any.
    pub fn take_output(&mut self) -> Option<Bytes> {
        (!self.output.is_empty()).then(|| self.output.split().freeze())
    }

    /// The negotiated version (meaningful once the server's version arrived).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The framebuffer size as the client knows it.
    pub fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    /// Whether the handshake is over.
    pub fn is_ready(&self) -> bool {
        matches!(
            self.state,
            State::Message | State::Rects { .. } | State::Hextile { .. } | State::Skip { .. }
        )
    }

    /// Whether a FramebufferUpdate is being received.
    pub fn in_update(&self) -> bool {
        matches!(self.state, State::Rects { .. } | State::Hextile { .. })
    }

    /// Whether the server accepts SetDesktopSize.
    pub fn can_resize(&self) -> bool {
        self.ext_desktop
    }

    /// Whether the UTF-8 Extended Clipboard is in use.
    pub fn extended_clipboard(&self) -> bool {
        self.ext_clip.is_some()
    }

    /// Queues a FramebufferUpdateRequest for the whole framebuffer.
    pub fn request_update(&mut self, incremental: bool) {
        messages::update_request(&mut self.output, incremental, 0, 0, self.width, self.height);
    }

    /// Queues a KeyEvent.
    pub fn key_event(&mut self, keysym: u32, down: bool) {
        messages::key_event(&mut self.output, keysym, down);
    }

    /// Queues a PointerEvent (clamped to the framebuffer).
    pub fn pointer_event(&mut self, x: u16, y: u16, buttons: u8) {
        let x = x.min(self.width.saturating_sub(1));
        let y = y.min(self.height.saturating_sub(1));
        messages::pointer_event(&mut self.output, x, y, buttons);
    }

    /// Sets the client's clipboard: announced through the Extended Clipboard when the
    /// server speaks it (the text is sent when the server asks), else sent at once as
    /// Latin-1.
    pub fn set_clipboard(&mut self, text: &str) {
        let text: String = text.chars().take(self.cfg.max_cut_text).collect();
        if self.ext_clip.is_some() {
            self.local_clip = Some(text);
            messages::client_cut_text_extended(&mut self.output, &clipboard::notify_text());
        } else {
            messages::client_cut_text_latin1(&mut self.output, &text, self.cfg.max_cut_text);
        }
    }

    /// Queues SetDesktopSize; returns `false` (and queues nothing) when the server has
    /// not shown it supports ExtendedDesktopSize.
    pub fn set_desktop_size(&mut self, w: u16, h: u16) -> bool {
        if !self.ext_desktop || w == 0 || h == 0 {
            return false;
        }
        if u32::from(w) * u32::from(h) > self.cfg.max_pixels {
            return false;
        }
        messages::set_desktop_size(&mut self.output, w, h, self.first_screen);
        true
    }

    /// The next event, `Ok(None)` when more bytes are needed. After an error every call
    /// returns [`RfbError::Failed`].
    pub fn poll_event(&mut self) -> Result<Option<Event>, RfbError> {
        if matches!(self.state, State::Failed) {
            return Err(RfbError::Failed);
        }
        let r = self.step();
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    fn have(&self, n: usize) -> bool {
        self.input.len() >= n
    }

    /// Reads `u32 length + string` at `at`, if complete; returns (string, total bytes).
    fn reason_at(&self, at: usize) -> Result<Option<(String, usize)>, RfbError> {
        if !self.have(at + 4) {
            return Ok(None);
        }
        let len = be32(&self.input, at) as usize;
        if len > MAX_REASON {
            return Err(RfbError::TooLong {
                what: "reason string",
                len,
                max: MAX_REASON,
            });
        }
        if !self.have(at + 4 + len) {
            return Ok(None);
        }
        let s = String::from_utf8_lossy(&self.input[at + 4..at + 4 + len]).into_owned();
        Ok(Some((s, at + 4 + len)))
    }

    fn client_init(&mut self) {
        self.output.extend_from_slice(&[u8::from(self.cfg.shared)]);
        self.state = State::ServerInit;
    }

    fn step(&mut self) -> Result<Option<Event>, RfbError> {
        loop {
            match &mut self.state {
                State::Failed => return Err(RfbError::Failed),
                State::Version => {
                    if !self.have(12) {
                        return Ok(None);
                    }
                    let v = &self.input[..12];
                    let text = latin1(v);
                    let ok = v.starts_with(b"RFB ")
                        && v[7] == b'.'
                        && v[11] == b'\n'
                        && v[4..7].iter().chain(&v[8..11]).all(u8::is_ascii_digit);
                    if !ok {
                        return Err(RfbError::BadVersion(text));
                    }
                    let major: u32 = text[4..7].parse().unwrap_or(0);
                    let minor: u32 = text[8..11].parse().unwrap_or(0);
                    self.version = match (major, minor) {
                        (3, m) if m >= 8 => Version::V3_8,
                        (3, 7) => Version::V3_7,
                        (3, _) => Version::V3_3,
                        (m, _) if m > 3 => Version::V3_8,
                        _ => return Err(RfbError::BadVersion(text)),
                    };
                    self.input.advance(12);
                    let ours: &[u8] = match self.version {
                        Version::V3_3 => b"RFB 003.003\n",
                        Version::V3_7 => b"RFB 003.007\n",
                        Version::V3_8 => b"RFB 003.008\n",
                    };
                    self.output.extend_from_slice(ours);
                    self.state = if self.version == Version::V3_3 {
                        State::Security33
                    } else {
                        State::SecurityTypes
                    };
                }
                State::SecurityTypes => {
                    if !self.have(1) {
                        return Ok(None);
                    }
                    let n = usize::from(self.input[0]);
                    if n == 0 {
                        return match self.reason_at(1)? {
                            Some((r, _)) => Err(RfbError::Refused(r)),
                            None => Ok(None),
                        };
                    }
                    if !self.have(1 + n) {
                        return Ok(None);
                    }
                    let offered = self.input[1..1 + n].to_vec();
                    self.input.advance(1 + n);
                    let chosen = if offered.contains(&SEC_NONE) {
                        SEC_NONE
                    } else if offered.contains(&SEC_VNC_AUTH) {
                        if self.cfg.password.is_none() {
                            return Err(RfbError::PasswordRequired);
                        }
                        SEC_VNC_AUTH
                    } else {
                        return Err(RfbError::UnsupportedSecurity(offered));
                    };
                    self.output.extend_from_slice(&[chosen]);
                    if chosen == SEC_VNC_AUTH {
                        self.state = State::Challenge;
                    } else if self.version == Version::V3_8 {
                        self.state = State::SecurityResult;
                    } else {
                        self.client_init();
                    }
                }
                State::Security33 => {
                    if !self.have(4) {
                        return Ok(None);
                    }
                    match be32(&self.input, 0) {
                        0 => {
                            return match self.reason_at(4)? {
                                Some((r, _)) => Err(RfbError::Refused(r)),
                                None => Ok(None),
                            }
                        }
                        1 => {
                            self.input.advance(4);
                            self.client_init();
                        }
                        2 => {
                            if self.cfg.password.is_none() {
                                return Err(RfbError::PasswordRequired);
                            }
                            self.input.advance(4);
                            self.state = State::Challenge;
                        }
                        t => {
                            return Err(RfbError::UnsupportedSecurity(vec![
                                u8::try_from(t).unwrap_or(u8::MAX)
                            ]))
                        }
                    }
                }
                State::Challenge => {
                    if !self.have(16) {
                        return Ok(None);
                    }
                    let mut c = [0u8; 16];
                    c.copy_from_slice(&self.input[..16]);
                    self.input.advance(16);
                    let pw = self.cfg.password.as_deref().unwrap_or_default();
                    self.output.extend_from_slice(&auth::response(pw, &c));
                    self.state = State::SecurityResult;
                }
                State::SecurityResult => {
                    if !self.have(4) {
                        return Ok(None);
                    }
                    if be32(&self.input, 0) == 0 {
                        self.input.advance(4);
                        self.client_init();
                    } else if self.version == Version::V3_8 {
                        return match self.reason_at(4)? {
                            Some((r, _)) => Err(RfbError::AuthFailed(Some(r))),
                            None => Ok(None),
                        };
                    } else {
                        return Err(RfbError::AuthFailed(None));
                    }
                }
                State::ServerInit => {
                    if !self.have(24) {
                        return Ok(None);
                    }
                    let name_len = be32(&self.input, 20) as usize;
                    if name_len > MAX_NAME {
                        return Err(RfbError::TooLong {
                            what: "desktop name",
                            len: name_len,
                            max: MAX_NAME,
                        });
                    }
                    if !self.have(24 + name_len) {
                        return Ok(None);
                    }
                    let (w, h) = (be16(&self.input, 0), be16(&self.input, 2));
                    self.check_size(w, h)?;
                    let mut pf = [0u8; 16];
                    pf.copy_from_slice(&self.input[4..20]);
                    let name = String::from_utf8_lossy(&self.input[24..24 + name_len]).into_owned();
                    self.input.advance(24 + name_len);
                    self.width = w;
                    self.height = h;
                    self.state = State::Message;
                    self.after_init();
                    return Ok(Some(Event::Ready(ServerInit {
                        width: w,
                        height: h,
                        name,
                        pixel_format: PixelFormat::from_bytes(&pf),
                    })));
                }
                State::Message => {
                    if !self.have(1) {
                        return Ok(None);
                    }
                    match self.input[0] {
                        0 => {
                            if !self.have(4) {
                                return Ok(None);
                            }
                            let n = be16(&self.input, 2);
                            self.input.advance(4);
                            self.state = State::Rects { remaining: n };
                            return Ok(Some(Event::UpdateBegin));
                        }
                        1 => {
                            if !self.have(6) {
                                return Ok(None);
                            }
                            let n = usize::from(be16(&self.input, 4));
                            if !self.have(6 + n * 6) {
                                return Ok(None);
                            }
                            self.input.advance(6 + n * 6);
                        }
                        2 => {
                            self.input.advance(1);
                            return Ok(Some(Event::Bell));
                        }
                        3 => match self.server_cut_text()? {
                            RectStep::NeedMore => return Ok(None),
                            RectStep::Event(ev) => return Ok(Some(ev)),
                            RectStep::Continue => {}
                        },
                        // EndOfContinuousUpdates: never asked for, harmless.
                        150 => self.input.advance(1),
                        t => return Err(RfbError::UnknownMessage(t)),
                    }
                }
                State::Rects { remaining } => {
                    if *remaining == 0 {
                        self.state = State::Message;
                        return Ok(Some(Event::UpdateEnd));
                    }
                    let remaining = *remaining;
                    match self.rect(remaining)? {
                        RectStep::NeedMore => return Ok(None),
                        RectStep::Event(ev) => return Ok(Some(ev)),
                        RectStep::Continue => {}
                    }
                }
                State::Hextile { hdr, st, remaining } => {
                    while !st.done() {
                        match st.step(&self.input)? {
                            Some(n) => self.input.advance(n),
                            None => return Ok(None),
                        }
                    }
                    let (hdr, remaining) = (*hdr, *remaining);
                    let data = std::mem::take(&mut st.out);
                    self.state = State::Rects {
                        remaining: remaining - 1,
                    };
                    return Ok(Some(Event::Rect(Rect {
                        x: hdr.x,
                        y: hdr.y,
                        w: hdr.w,
                        h: hdr.h,
                        kind: RectKind::Pixels(Bytes::from(data)),
                    })));
                }
                State::Skip { left } => {
                    let n = (*left).min(self.input.len());
                    self.input.advance(n);
                    *left -= n;
                    if *left > 0 {
                        return Ok(None);
                    }
                    self.state = State::Message;
                }
            }
        }
    }

    fn check_size(&self, w: u16, h: u16) -> Result<(), RfbError> {
        if u32::from(w) * u32::from(h) > self.cfg.max_pixels {
            return Err(RfbError::FramebufferTooLarge {
                width: w,
                height: h,
            });
        }
        Ok(())
    }

    /// SetPixelFormat, SetEncodings and the first (full) update request.
    fn after_init(&mut self) {
        messages::set_pixel_format(&mut self.output, PixelFormat::BGRX);
        let mut encs: Vec<i32> = self.cfg.encodings.iter().map(|e| e.number()).collect();
        encs.extend([
            pseudo::CURSOR,
            pseudo::DESKTOP_SIZE,
            pseudo::EXTENDED_DESKTOP_SIZE,
        ]);
        if self.cfg.extended_clipboard {
            encs.push(pseudo::EXTENDED_CLIPBOARD);
        }
        messages::set_encodings(&mut self.output, &encs);
        self.request_update(false);
    }

    /// ServerCutText: an event, or `Continue` having consumed the message (or switched
    /// to skipping it), or `NeedMore` without consuming anything.
    fn server_cut_text(&mut self) -> Result<RectStep, RfbError> {
        if !self.have(8) {
            return Ok(RectStep::NeedMore);
        }
        let len = be32(&self.input, 4) as i32;
        let max = self.cfg.max_cut_text;
        if len >= 0 {
            let n = len as usize;
            if n > max {
                self.input.advance(8);
                self.state = State::Skip { left: n };
                return Ok(RectStep::Continue);
            }
            if !self.have(8 + n) {
                return Ok(RectStep::NeedMore);
            }
            let text = latin1(&self.input[8..8 + n]).replace("\r\n", "\n");
            self.input.advance(8 + n);
            return Ok(RectStep::Event(Event::ServerCutText(text)));
        }
        let n = len.unsigned_abs() as usize;
        // A compressed provide is rarely larger than its text; allow some slack.
        if n > max + 4096 || !self.cfg.extended_clipboard {
            self.input.advance(8);
            self.state = State::Skip { left: n };
            return Ok(RectStep::Continue);
        }
        if !self.have(8 + n) {
            return Ok(RectStep::NeedMore);
        }
        let msg = clipboard::decode(&self.input[8..8 + n], max);
        self.input.advance(8 + n);
        match msg {
            Ok(ClipMessage::Caps { flags }) => {
                self.ext_clip = Some(flags);
                messages::client_cut_text_extended(&mut self.output, &clipboard::caps(max));
            }
            Ok(ClipMessage::Notify { formats }) if formats & clipboard::FORMAT_TEXT != 0 => {
                messages::client_cut_text_extended(&mut self.output, &clipboard::request_text());
            }
            Ok(ClipMessage::Request { formats }) if formats & clipboard::FORMAT_TEXT != 0 => {
                if let Some(t) = &self.local_clip {
                    let p = clipboard::provide_text(t);
                    messages::client_cut_text_extended(&mut self.output, &p);
                }
            }
            Ok(ClipMessage::Peek) if self.local_clip.is_some() => {
                messages::client_cut_text_extended(&mut self.output, &clipboard::notify_text());
            }
            Ok(ClipMessage::Provide { text: Some(t) }) => {
                return Ok(RectStep::Event(Event::ServerCutText(t)));
            }
            // Unknown actions, other formats, undecodable or oversized payloads: the
            // clipboard is not worth the session.
            _ => {}
        }
        Ok(RectStep::Continue)
    }

    fn bounds(&self, h: RectHeader) -> Result<(), RfbError> {
        if u32::from(h.x) + u32::from(h.w) > u32::from(self.width)
            || u32::from(h.y) + u32::from(h.h) > u32::from(self.height)
        {
            return Err(RfbError::RectOutOfBounds {
                x: h.x,
                y: h.y,
                w: h.w,
                h: h.h,
                fb_w: self.width,
                fb_h: self.height,
            });
        }
        Ok(())
    }

    fn rect(&mut self, remaining: u16) -> Result<RectStep, RfbError> {
        if !self.have(12) {
            return Ok(RectStep::NeedMore);
        }
        let b = &self.input;
        let hdr = RectHeader {
            x: be16(b, 0),
            y: be16(b, 2),
            w: be16(b, 4),
            h: be16(b, 6),
        };
        let enc = be32(b, 8) as i32;
        let (w, h) = (usize::from(hdr.w), usize::from(hdr.h));
        let next = State::Rects {
            remaining: remaining - 1,
        };
        let pixels = |data: Bytes| {
            RectStep::Event(Event::Rect(Rect {
                x: hdr.x,
                y: hdr.y,
                w: hdr.w,
                h: hdr.h,
                kind: RectKind::Pixels(data),
            }))
        };
        match enc {
            pseudo::CURSOR => {
                if hdr.w > MAX_CURSOR_SIDE || hdr.h > MAX_CURSOR_SIDE {
                    return Err(RfbError::CursorTooLarge(hdr.w, hdr.h));
                }
                let mask_row = w.div_ceil(8);
                let n = 12 + w * h * 4 + mask_row * h;
                if !self.have(n) {
                    return Ok(RectStep::NeedMore);
                }
                let px = &self.input[12..12 + w * h * 4];
                let mask = &self.input[12 + w * h * 4..n];
                let mut rgba = vec![0u8; w * h * 4];
                for y in 0..h {
                    for x in 0..w {
                        let i = (y * w + x) * 4;
                        let on = mask[y * mask_row + x / 8] & (0x80 >> (x % 8)) != 0;
                        rgba[i] = px[i + 2];
                        rgba[i + 1] = px[i + 1];
                        rgba[i + 2] = px[i];
                        rgba[i + 3] = if on { 255 } else { 0 };
                    }
                }
                self.input.advance(n);
                self.state = next;
                Ok(RectStep::Event(Event::Cursor(Cursor {
                    hotspot_x: hdr.x,
                    hotspot_y: hdr.y,
                    width: hdr.w,
                    height: hdr.h,
                    rgba,
                })))
            }
            pseudo::DESKTOP_SIZE => {
                self.check_size(hdr.w, hdr.h)?;
                self.input.advance(12);
                self.state = next;
                self.width = hdr.w;
                self.height = hdr.h;
                Ok(RectStep::Event(Event::Resize {
                    width: hdr.w,
                    height: hdr.h,
                    reason: ResizeReason::Server,
                }))
            }
            pseudo::EXTENDED_DESKTOP_SIZE => {
                if !self.have(16) {
                    return Ok(RectStep::NeedMore);
                }
                let screens = usize::from(self.input[12]);
                let n = 16 + screens * 16;
                if !self.have(n) {
                    return Ok(RectStep::NeedMore);
                }
                if screens > 0 {
                    let s = &self.input[16..32];
                    self.first_screen = Some(Screen {
                        id: be32(s, 0),
                        x: be16(s, 4),
                        y: be16(s, 6),
                        w: be16(s, 8),
                        h: be16(s, 10),
                        flags: be32(s, 12),
                    });
                }
                self.input.advance(n);
                self.state = next;
                self.ext_desktop = true;
                let (reason, status) = (hdr.x, hdr.y);
                if status != 0 {
                    return Ok(RectStep::Event(Event::ResizeRefused { status }));
                }
                if (hdr.w, hdr.h) == (self.width, self.height) {
                    return Ok(RectStep::Continue);
                }
                self.check_size(hdr.w, hdr.h)?;
                self.width = hdr.w;
                self.height = hdr.h;
                Ok(RectStep::Event(Event::Resize {
                    width: hdr.w,
                    height: hdr.h,
                    reason: match reason {
                        1 => ResizeReason::ThisClient,
                        2 => ResizeReason::OtherClient,
                        _ => ResizeReason::Server,
                    },
                }))
            }
            pseudo::LAST_RECT => {
                self.input.advance(12);
                self.state = State::Rects { remaining: 0 };
                Ok(RectStep::Continue)
            }
            e if e == Encoding::Raw.number() => {
                self.bounds(hdr)?;
                let n = w * h * 4;
                if !self.have(12 + n) {
                    self.input.reserve(12 + n - self.input.len());
                    return Ok(RectStep::NeedMore);
                }
                self.input.advance(12);
                let data = self.input.split_to(n).freeze();
                self.state = next;
                Ok(if n == 0 {
                    RectStep::Continue
                } else {
                    pixels(data)
                })
            }
            e if e == Encoding::CopyRect.number() => {
                self.bounds(hdr)?;
                if !self.have(16) {
                    return Ok(RectStep::NeedMore);
                }
                let (sx, sy) = (be16(&self.input, 12), be16(&self.input, 14));
                self.bounds(RectHeader {
                    x: sx,
                    y: sy,
                    ..hdr
                })?;
                self.input.advance(16);
                self.state = next;
                if w == 0 || h == 0 {
                    return Ok(RectStep::Continue);
                }
                Ok(RectStep::Event(Event::Rect(Rect {
                    x: hdr.x,
                    y: hdr.y,
                    w: hdr.w,
                    h: hdr.h,
                    kind: RectKind::CopyRect {
                        src_x: sx,
                        src_y: sy,
                    },
                })))
            }
            e if e == Encoding::Zrle.number() => {
                self.bounds(hdr)?;
                if !self.have(16) {
                    return Ok(RectStep::NeedMore);
                }
                let len = be32(&self.input, 12) as usize;
                let max = ZrleDecoder::bound(w, h) + 4096;
                if len > max {
                    return Err(RfbError::TooLong {
                        what: "ZRLE rectangle",
                        len,
                        max,
                    });
                }
                if !self.have(16 + len) {
                    self.input.reserve(16 + len - self.input.len());
                    return Ok(RectStep::NeedMore);
                }
                let data = self.zrle.decode(&self.input[16..16 + len], w, h)?;
                self.input.advance(16 + len);
                self.state = next;
                Ok(if w == 0 || h == 0 {
                    RectStep::Continue
                } else {
                    pixels(Bytes::from(data))
                })
            }
            e if e == Encoding::Hextile.number() => {
                self.bounds(hdr)?;
                self.input.advance(12);
                if w == 0 || h == 0 {
                    self.state = next;
                    return Ok(RectStep::Continue);
                }
                self.state = State::Hextile {
                    hdr,
                    st: Box::new(HextileState::new(w, h)),
                    remaining,
                };
                Ok(RectStep::Continue)
            }
            e => Err(RfbError::UnknownEncoding(e)),
        }
    }
}

enum RectStep {
    NeedMore,
    Event(Event),
    Continue,
}
