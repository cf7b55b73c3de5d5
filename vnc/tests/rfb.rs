//! The sans-IO RFB client against scripted servers: handshakes (3.3, 3.7, 3.8; None and
//! VNC Authentication; refusals), every encoding and pseudo-encoding, bytes split at
//! every boundary, ZRLE round trips through an independent test encoder, and arbitrary
//! bytes that must never panic or allocate without bound.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{BufMut, BytesMut};
use flate2::{Compress, Compression, FlushCompress};
use porthole_vnc::rfb::{
    auth, clipboard, ClientConfig, Encoding, Event, RectKind, ResizeReason, RfbClient, RfbError,
    Version,
};
use proptest::prelude::*;

fn server_init(w: u16, h: u16, name: &str) -> Vec<u8> {
    let mut b = BytesMut::new();
    b.put_u16(w);
    b.put_u16(h);
    b.put_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    b.put_u32(name.len() as u32);
    b.put_slice(name.as_bytes());
    b.to_vec()
}

/// Feeds `bytes` one at a time, collecting events.
fn feed_bytewise(c: &mut RfbClient, bytes: &[u8]) -> Result<Vec<Event>, RfbError> {
    let mut evs = Vec::new();
    for b in bytes {
        c.feed(&[*b]);
        while let Some(e) = c.poll_event()? {
            evs.push(e);
        }
    }
    Ok(evs)
}

fn feed(c: &mut RfbClient, bytes: &[u8]) -> Result<Vec<Event>, RfbError> {
    c.feed(bytes);
    let mut evs = Vec::new();
    while let Some(e) = c.poll_event()? {
        evs.push(e);
    }
    Ok(evs)
}

/// A client past the handshake (3.8, None) on a `w × h` framebuffer.
fn ready(w: u16, h: u16) -> RfbClient {
    let mut c = RfbClient::new(ClientConfig::default());
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([1, 1, 0, 0, 0, 0]);
    s.extend(server_init(w, h, "test"));
    let evs = feed(&mut c, &s).unwrap();
    assert!(matches!(evs[..], [Event::Ready(_)]));
    c.take_output();
    c
}

#[test]
fn handshake_3_8_none() {
    let mut c = RfbClient::new(ClientConfig::default());
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([2, 2, 1]); // VncAuth and None offered: None chosen.
    s.extend([0, 0, 0, 0]);
    s.extend(server_init(800, 600, "desk"));
    let evs = feed_bytewise(&mut c, &s).unwrap();
    match &evs[..] {
        [Event::Ready(i)] => {
            assert_eq!((i.width, i.height, i.name.as_str()), (800, 600, "desk"));
        }
        e => panic!("{e:?}"),
    }
    let out = c.take_output().unwrap();
    assert!(out.starts_with(b"RFB 003.008\n\x01\x01\x00"));
    // SetPixelFormat (20), SetEncodings, FramebufferUpdateRequest (10).
    assert_eq!(out[15], 0);
    assert_eq!(&out[out.len() - 10..], &[3, 0, 0, 0, 0, 0, 3, 32, 2, 88]);
    assert_eq!(c.version(), Version::V3_8);
}

#[test]
fn handshake_vnc_auth_all_versions() {
    for (ver, reply) in [
        (&b"RFB 003.003\n"[..], &b"RFB 003.003\n"[..]),
        (b"RFB 003.007\n", b"RFB 003.007\n"),
        (b"RFB 003.008\n", b"RFB 003.008\n"),
        (b"RFB 003.889\n", b"RFB 003.008\n"),
        (b"RFB 003.005\n", b"RFB 003.003\n"),
    ] {
        let mut c = RfbClient::new(ClientConfig {
            password: Some("sesame".into()),
            ..ClientConfig::default()
        });
        let challenge: [u8; 16] = std::array::from_fn(|i| i as u8 * 7);
        let mut s = ver.to_vec();
        if reply == b"RFB 003.003\n" {
            s.extend([0, 0, 0, 2]);
        } else {
            s.extend([1, 2]);
        }
        s.extend(challenge);
        s.extend([0, 0, 0, 0]);
        s.extend(server_init(64, 32, ""));
        let evs = feed_bytewise(&mut c, &s).unwrap();
        assert!(matches!(evs[..], [Event::Ready(_)]), "{ver:?}");
        let out = c.take_output().unwrap();
        assert!(out.starts_with(reply));
        let mut expect = reply.to_vec();
        if reply != b"RFB 003.003\n" {
            expect.push(2);
        }
        expect.extend(auth::response("sesame", &challenge));
        expect.push(1); // shared
        assert_eq!(&out[..expect.len()], &expect[..], "{ver:?}");
    }
}

#[test]
fn auth_failure_reports_the_reason_in_3_8() {
    let mut c = RfbClient::new(ClientConfig {
        password: Some("x".into()),
        ..ClientConfig::default()
    });
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([1, 2]);
    s.extend([0u8; 16]);
    s.extend([0, 0, 0, 1, 0, 0, 0, 14]);
    s.extend(b"Wrong password");
    let e = feed_bytewise(&mut c, &s).unwrap_err();
    assert_eq!(e, RfbError::AuthFailed(Some("Wrong password".into())));
    assert_eq!(c.poll_event(), Err(RfbError::Failed));

    let mut c = RfbClient::new(ClientConfig {
        password: Some("x".into()),
        ..ClientConfig::default()
    });
    let mut s = b"RFB 003.003\n".to_vec();
    s.extend([0, 0, 0, 2]);
    s.extend([0u8; 16]);
    s.extend([0, 0, 0, 1]);
    assert_eq!(feed(&mut c, &s).unwrap_err(), RfbError::AuthFailed(None));
}

#[test]
fn refusals_and_unsupported_security() {
    let mut c = RfbClient::new(ClientConfig::default());
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([0, 0, 0, 0, 8]);
    s.extend(b"go away!");
    assert_eq!(
        feed(&mut c, &s).unwrap_err(),
        RfbError::Refused("go away!".into())
    );

    let mut c = RfbClient::new(ClientConfig::default());
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([1, 2]);
    assert_eq!(feed(&mut c, &s).unwrap_err(), RfbError::PasswordRequired);

    let mut c = RfbClient::new(ClientConfig::default());
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([2, 19, 18]);
    assert_eq!(
        feed(&mut c, &s).unwrap_err(),
        RfbError::UnsupportedSecurity(vec![19, 18])
    );

    let mut c = RfbClient::new(ClientConfig::default());
    assert!(matches!(
        feed(&mut c, b"SSH-2.0-Open"),
        Err(RfbError::BadVersion(_))
    ));

    let mut c = RfbClient::new(ClientConfig::default());
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([1, 1, 0, 0, 0, 0]);
    s.extend(server_init(65535, 65535, ""));
    assert!(matches!(
        feed(&mut c, &s),
        Err(RfbError::FramebufferTooLarge { .. })
    ));
}

fn rect_header(b: &mut Vec<u8>, x: u16, y: u16, w: u16, h: u16, enc: i32) {
    for v in [x, y, w, h] {
        b.extend(v.to_be_bytes());
    }
    b.extend(enc.to_be_bytes());
}

#[test]
fn raw_copyrect_cursor_and_sizes() {
    let mut c = ready(64, 48);
    let mut s = vec![0, 0, 0, 6];
    rect_header(&mut s, 1, 2, 2, 1, 0);
    s.extend([1, 2, 3, 0, 4, 5, 6, 0]);
    rect_header(&mut s, 10, 10, 5, 5, 1);
    s.extend([0, 0, 0, 0]);
    rect_header(&mut s, 1, 0, 2, 1, -239);
    s.extend([10, 20, 30, 0, 40, 50, 60, 0, 0b0100_0000]);
    rect_header(&mut s, 0, 0, 100, 50, -223);
    rect_header(&mut s, 0, 0, 100, 50, -308);
    s.extend([1, 0, 0, 0]);
    s.extend([0, 0, 0, 7, 0, 0, 0, 0, 0, 100, 0, 50, 0, 0, 0, 0]);
    rect_header(&mut s, 1, 0, 120, 60, -308);
    s.extend([1, 0, 0, 0]);
    s.extend([0, 0, 0, 7, 0, 0, 0, 0, 0, 120, 0, 60, 0, 0, 0, 0]);
    s.extend([2]); // Bell
    let evs = feed_bytewise(&mut c, &s).unwrap();
    assert_eq!(evs.len(), 8, "{evs:?}");
    assert_eq!(evs[0], Event::UpdateBegin);
    match &evs[1] {
        Event::Rect(r) => {
            assert_eq!((r.x, r.y, r.w, r.h), (1, 2, 2, 1));
            assert_eq!(
                r.kind,
                RectKind::Pixels(vec![1, 2, 3, 0, 4, 5, 6, 0].into())
            );
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        &evs[2],
        Event::Rect(r) if r.kind == RectKind::CopyRect { src_x: 0, src_y: 0 }
    ));
    match &evs[3] {
        Event::Cursor(cur) => {
            assert_eq!((cur.hotspot_x, cur.width), (1, 2));
            assert_eq!(cur.rgba, vec![30, 20, 10, 0, 60, 50, 40, 255]);
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(
        evs[4],
        Event::Resize {
            width: 100,
            height: 50,
            reason: ResizeReason::Server
        }
    );
    assert_eq!(
        evs[5],
        Event::Resize {
            width: 120,
            height: 60,
            reason: ResizeReason::ThisClient
        }
    );
    assert_eq!(evs[6], Event::UpdateEnd);
    assert_eq!(evs[7], Event::Bell);
    assert!(c.can_resize());
    assert!(c.set_desktop_size(800, 600));
    let out = c.take_output().unwrap();
    assert_eq!(&out[..6], &[251, 0, 3, 32, 2, 88]);
    assert_eq!(&out[8..12], &[0, 0, 0, 7]); // the server's screen id is kept
}

#[test]
fn rect_outside_framebuffer_is_refused() {
    let mut c = ready(64, 48);
    let mut s = vec![0, 0, 0, 1];
    rect_header(&mut s, 60, 0, 5, 1, 0);
    assert!(matches!(
        feed(&mut c, &s),
        Err(RfbError::RectOutOfBounds { .. })
    ));
    let mut c = ready(64, 48);
    let mut s = vec![0, 0, 0, 1];
    rect_header(&mut s, 0, 0, 5, 5, 1);
    s.extend([0, 62, 0, 0]);
    assert!(matches!(
        feed(&mut c, &s),
        Err(RfbError::RectOutOfBounds { .. })
    ));
    let mut c = ready(64, 48);
    let mut s = vec![0, 0, 0, 1];
    rect_header(&mut s, 0, 0, 5, 5, 7); // Tight: not requested
    assert_eq!(feed(&mut c, &s), Err(RfbError::UnknownEncoding(7)));
}

#[test]
fn hextile() {
    let mut c = ready(40, 20);
    let mut s = vec![0, 0, 0, 1];
    rect_header(&mut s, 0, 0, 20, 18, 5);
    // Tile 1 (16x16): background red, 1 foreground subrect (green) at 2,3 size 4x5.
    s.extend([2 | 4 | 8]);
    s.extend([0, 0, 255, 0]);
    s.extend([0, 255, 0, 0]);
    s.extend([1, 0x23, 0x34]);
    // Tile 2 (4x16): raw.
    s.push(1);
    for i in 0..64u8 {
        s.extend([i, i, i, 0]);
    }
    // Tile 3 (16x2): nothing but the previous background; coloured subrect.
    s.extend([8 | 16, 1, 9, 9, 9, 0, 0x00, 0x00]);
    // Tile 4 (4x2): background blue.
    s.extend([2, 255, 0, 0, 0]);
    let evs = feed_bytewise(&mut c, &s).unwrap();
    let px = match &evs[1] {
        Event::Rect(r) => match &r.kind {
            RectKind::Pixels(p) => p.clone(),
            k => panic!("{k:?}"),
        },
        e => panic!("{e:?}"),
    };
    let at = |x: usize, y: usize| &px[(y * 20 + x) * 4..(y * 20 + x) * 4 + 4];
    assert_eq!(at(0, 0), [0, 0, 255, 0]);
    assert_eq!(at(2, 3), [0, 255, 0, 0]);
    assert_eq!(at(5, 7), [0, 255, 0, 0]);
    assert_eq!(at(6, 8), [0, 0, 255, 0]);
    assert_eq!(at(17, 0), [1, 1, 1, 0]);
    assert_eq!(at(0, 16), [9, 9, 9, 0]);
    assert_eq!(at(1, 16), [0, 0, 255, 0]);
    assert_eq!(at(16, 17), [255, 0, 0, 0]);
    assert_eq!(evs[2], Event::UpdateEnd);
}

#[test]
fn cut_text_latin1_oversized_and_extended() {
    let mut c = RfbClient::new(ClientConfig {
        max_cut_text: 10,
        ..ClientConfig::default()
    });
    let mut s = b"RFB 003.008\n".to_vec();
    s.extend([1, 1, 0, 0, 0, 0]);
    s.extend(server_init(8, 8, ""));
    feed(&mut c, &s).unwrap();
    c.take_output();
    let mut s = vec![3, 0, 0, 0, 0, 0, 0, 4, b'a', 0xe9, b'\r', b'\n'];
    // Oversized: skipped without buffering, then the next message is read.
    s.extend([3, 0, 0, 0, 0, 0, 0, 100]);
    s.extend([b'x'; 100]);
    s.push(2);
    let evs = feed_bytewise(&mut c, &s).unwrap();
    assert_eq!(evs, vec![Event::ServerCutText("aé\n".into()), Event::Bell]);

    // Extended clipboard: caps → our caps; notify → our request; provide → text.
    let ext = |payload: Vec<u8>| {
        let mut m = vec![3, 0, 0, 0];
        m.extend((-(payload.len() as i32)).to_be_bytes());
        m.extend(payload);
        m
    };
    let mut caps = (clipboard::CAPS | clipboard::NOTIFY | clipboard::PROVIDE | 1)
        .to_be_bytes()
        .to_vec();
    caps.extend(1000u32.to_be_bytes());
    assert!(feed(&mut c, &ext(caps)).unwrap().is_empty());
    assert!(c.extended_clipboard());
    let out = c.take_output().unwrap();
    assert_eq!(&out[..4], &[6, 0, 0, 0]);
    assert!(feed(&mut c, &ext(clipboard::notify_text()))
        .unwrap()
        .is_empty());
    assert_eq!(
        &c.take_output().unwrap()[8..],
        &clipboard::request_text()[..]
    );
    let evs = feed(&mut c, &ext(clipboard::provide_text("ünï"))).unwrap();
    assert_eq!(evs, vec![Event::ServerCutText("ünï".into())]);
    // Our clipboard: notify now, provide when asked.
    c.set_clipboard("mine €");
    assert_eq!(
        &c.take_output().unwrap()[8..],
        &clipboard::notify_text()[..]
    );
    feed(&mut c, &ext(clipboard::request_text())).unwrap();
    let out = c.take_output().unwrap();
    assert_eq!(
        clipboard::decode(&out[8..], 100),
        Ok(clipboard::Message::Provide {
            text: Some("mine €".into())
        })
    );
}

// ---- ZRLE: an independent test encoder -------------------------------------------

/// Encodes a tile with subencoding `kind` (0 raw, 1 solid, 2 packed palette, 128 plain
/// RLE, 130 palette RLE), falling back to raw when the tile does not fit the kind.
fn zrle_tile(out: &mut Vec<u8>, px: &[[u8; 3]], tw: usize, th: usize, kind: u8) {
    let mut pal: Vec<[u8; 3]> = Vec::new();
    for p in px {
        if !pal.contains(p) {
            pal.push(*p);
        }
    }
    let raw = |out: &mut Vec<u8>| {
        out.push(0);
        for p in px {
            out.extend(p);
        }
    };
    let run = |out: &mut Vec<u8>, mut n: usize| {
        n -= 1;
        while n >= 255 {
            out.push(255);
            n -= 255;
        }
        out.push(n as u8);
    };
    match kind {
        1 if pal.len() == 1 => {
            out.push(1);
            out.extend(pal[0]);
        }
        2 if (2..=16).contains(&pal.len()) => {
            out.push(pal.len() as u8);
            for p in &pal {
                out.extend(p);
            }
            let bits = match pal.len() {
                2 => 1,
                3 | 4 => 2,
                _ => 4,
            };
            for y in 0..th {
                let mut byte = 0u8;
                let mut used = 0;
                for x in 0..tw {
                    let i = pal.iter().position(|p| *p == px[y * tw + x]).unwrap() as u8;
                    byte |= i << (8 - bits - used);
                    used += bits;
                    if used == 8 {
                        out.push(byte);
                        byte = 0;
                        used = 0;
                    }
                }
                if used > 0 {
                    out.push(byte);
                }
            }
        }
        128 => {
            out.push(128);
            let mut i = 0;
            while i < px.len() {
                let mut j = i;
                while j < px.len() && px[j] == px[i] {
                    j += 1;
                }
                out.extend(px[i]);
                run(out, j - i);
                i = j;
            }
        }
        130 if (2..=127).contains(&pal.len()) => {
            out.push(128 + pal.len() as u8);
            for p in &pal {
                out.extend(p);
            }
            let mut i = 0;
            while i < px.len() {
                let mut j = i;
                while j < px.len() && px[j] == px[i] {
                    j += 1;
                }
                let idx = pal.iter().position(|p| *p == px[i]).unwrap() as u8;
                if j - i == 1 {
                    out.push(idx);
                } else {
                    out.push(idx | 0x80);
                    run(out, j - i);
                }
                i = j;
            }
        }
        _ => raw(out),
    }
}

/// A ZRLE rectangle message body (length + zlib data) for `w × h` RGB pixels.
fn zrle_rect(z: &mut Compress, px: &[[u8; 3]], w: usize, h: usize, kinds: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    let mut k = 0;
    for ty in (0..h).step_by(64) {
        for tx in (0..w).step_by(64) {
            let (tw, th) = (64.min(w - tx), 64.min(h - ty));
            let mut tile = Vec::with_capacity(tw * th);
            for y in 0..th {
                for x in 0..tw {
                    tile.push(px[(ty + y) * w + tx + x]);
                }
            }
            zrle_tile(&mut plain, &tile, tw, th, kinds[k % kinds.len()]);
            k += 1;
        }
    }
    let mut comp = Vec::with_capacity(plain.len() + 1024);
    z.compress_vec(&plain, &mut comp, FlushCompress::Sync)
        .unwrap();
    while comp.len() == comp.capacity() {
        comp.reserve(4096);
        z.compress_vec(&[], &mut comp, FlushCompress::Sync).unwrap();
    }
    let mut b = (comp.len() as u32).to_be_bytes().to_vec();
    b.extend(comp);
    b
}

fn image_strategy() -> impl Strategy<Value = (usize, usize, Vec<[u8; 3]>)> {
    (1usize..150, 1usize..150, 1usize..40).prop_flat_map(|(w, h, colours)| {
        let palette = prop::collection::vec(any::<[u8; 3]>(), colours);
        (Just(w), Just(h), palette).prop_flat_map(|(w, h, pal)| {
            let n = pal.len();
            // Runs: pick a colour and a run length, to give RLE something to do.
            prop::collection::vec((0..n, 1usize..40), 1..64).prop_map(move |runs| {
                let mut px = Vec::with_capacity(w * h);
                let mut i = 0;
                while px.len() < w * h {
                    let (c, len) = runs[i % runs.len()];
                    for _ in 0..len.min(w * h - px.len()) {
                        px.push(pal[c]);
                    }
                    i += 1;
                }
                (w, h, px)
            })
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Two ZRLE rectangles through one zlib stream, split into arbitrary chunks,
    /// decode to exactly the encoded pixels.
    #[test]
    fn zrle_round_trip(
        (w, h, px) in image_strategy(),
        kinds in prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 128, 130]), 1..6),
        chunk in 1usize..5000,
    ) {
        let mut c = ready(160, 160);
        let mut z = Compress::new(Compression::fast(), true);
        let mut s = vec![0, 0, 0, 2];
        for (x, k) in [(0u16, &kinds[..]), (3, &[128u8][..])] {
            rect_header(&mut s, x, 5, w as u16, h as u16, Encoding::Zrle.number());
            s.extend(zrle_rect(&mut z, &px, w, h, k));
        }
        let mut evs = Vec::new();
        for part in s.chunks(chunk) {
            evs.extend(feed(&mut c, part).unwrap());
        }
        prop_assert_eq!(evs.len(), 4);
        for e in &evs[1..3] {
            match e {
                Event::Rect(r) => {
                    let RectKind::Pixels(d) = &r.kind else { panic!() };
                    prop_assert_eq!(d.len(), w * h * 4);
                    for (i, p) in px.iter().enumerate() {
                        prop_assert_eq!(&d[i * 4..i * 4 + 3], &p[..]);
                    }
                }
                e => panic!("{e:?}"),
            }
        }
        prop_assert_eq!(&evs[3], &Event::UpdateEnd);
    }

    /// Arbitrary bytes from a server never panic, before or after the handshake, and
    /// never make the client hold more than the caps allow.
    #[test]
    fn arbitrary_bytes_never_panic(
        pre in any::<bool>(),
        data in prop::collection::vec(any::<u8>(), 0..4096),
        chunk in 1usize..512,
    ) {
        let mut c = if pre { ready(64, 64) } else { RfbClient::new(ClientConfig::default()) };
        for part in data.chunks(chunk) {
            c.feed(part);
            while let Ok(Some(_)) = c.poll_event() {}
            let _ = c.take_output();
        }
    }

    /// Framebuffer updates made of plausible headers with arbitrary encodings, sizes
    /// and payloads never panic.
    #[test]
    fn arbitrary_updates_never_panic(
        rects in prop::collection::vec(
            (any::<u16>(), any::<u16>(), 0u16..80, 0u16..80,
             prop::sample::select(vec![0i32, 1, 5, 16, -239, -223, -308, -224, 7]),
             prop::collection::vec(any::<u8>(), 0..2000)),
            1..6),
    ) {
        let mut c = ready(64, 64);
        let mut s = vec![0, 0, 0, rects.len() as u8];
        for (x, y, w, h, e, payload) in &rects {
            rect_header(&mut s, x % 80, y % 80, *w, *h, *e);
            s.extend(payload);
        }
        c.feed(&s);
        while let Ok(Some(_)) = c.poll_event() {}
    }
}

#[test]
fn zrle_bomb_is_refused_not_allocated() {
    // A tiny rectangle whose zlib data inflates far beyond what 4x4 pixels can need.
    let mut c = ready(64, 64);
    let mut z = Compress::new(Compression::best(), true);
    let plain = vec![0u8; 10 << 20];
    let mut comp = Vec::with_capacity(64 << 10);
    z.compress_vec(&plain, &mut comp, FlushCompress::Sync)
        .unwrap();
    let mut s = vec![0, 0, 0, 1];
    rect_header(&mut s, 0, 0, 4, 4, 16);
    s.extend((comp.len() as u32).to_be_bytes());
    s.extend(&comp);
    assert!(matches!(
        feed(&mut c, &s),
        Err(RfbError::Malformed { .. }) | Err(RfbError::TooLong { .. })
    ));
}
