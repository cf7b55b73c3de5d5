//! Test helpers: a headless Guacamole display that applies the instructions Porthole
//! sends (size, img/blob/end with PNG and JPEG, copy, cursor, clipboard, sync) to RGBA
//! layers, so tests can compare what a viewer would show with the source pixels.
#![allow(dead_code)]
// Test helpers fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use bytes::BytesMut;
use porthole_protocol::{Limits, Parser};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub w: usize,
    pub h: usize,
    /// RGBA.
    pub px: Vec<u8>,
    /// Per pixel: last drawn from a lossy image.
    pub lossy: Vec<bool>,
}

impl Layer {
    fn resize(&mut self, w: usize, h: usize) {
        let mut px = vec![0u8; w * h * 4];
        let mut lossy = vec![false; w * h];
        for y in 0..h.min(self.h) {
            for x in 0..w.min(self.w) {
                let (s, d) = (y * self.w + x, y * w + x);
                px[d * 4..d * 4 + 4].copy_from_slice(&self.px[s * 4..s * 4 + 4]);
                lossy[d] = self.lossy[s];
            }
        }
        self.w = w;
        self.h = h;
        self.px = px;
        self.lossy = lossy;
    }

    pub fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let o = (y * self.w + x) * 4;
        [self.px[o], self.px[o + 1], self.px[o + 2]]
    }
}

struct Stream {
    kind: StreamKind,
    data: Vec<u8>,
}

enum StreamKind {
    Img {
        layer: i32,
        mime: String,
        x: usize,
        y: usize,
    },
    Clipboard,
}

/// What a stock viewer would hold after applying our instructions.
#[derive(Default)]
pub struct Display {
    pub layers: HashMap<i32, Layer>,
    streams: HashMap<u32, Stream>,
    pub cursor: Option<(usize, usize, Layer)>,
    pub syncs: Vec<u64>,
    pub clipboard: Option<String>,
    pub images: HashMap<String, usize>,
    pub mouse: Option<(usize, usize)>,
    pub instructions: usize,
    /// Ignore opcodes this display does not model (for replaying guacd recordings).
    pub lenient: bool,
    rects: HashMap<i32, (usize, usize, usize, usize)>,
}

fn num<T: std::str::FromStr>(s: Option<&str>) -> T
where
    T::Err: std::fmt::Debug,
{
    s.expect("missing argument").parse().expect("not a number")
}

impl Display {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn root(&self) -> &Layer {
        self.layers.get(&0).expect("no layer 0 yet")
    }

    /// Applies a buffer of complete instructions; panics on anything malformed.
    pub fn apply(&mut self, bytes: &[u8]) {
        let mut parser = Parser::new(Limits::UPSTREAM);
        let mut buf = BytesMut::from(bytes);
        while let Some(ins) = parser.next(&mut buf).expect("malformed instruction") {
            self.instructions += 1;
            let a = |i: usize| ins.arg(i);
            match ins.opcode() {
                "size" => {
                    let l: i32 = num(a(0));
                    self.layers
                        .entry(l)
                        .or_default()
                        .resize(num(a(1)), num(a(2)));
                }
                "img" => {
                    let s: u32 = num(a(0));
                    self.streams.insert(
                        s,
                        Stream {
                            kind: StreamKind::Img {
                                layer: num(a(2)),
                                mime: a(3).unwrap().to_owned(),
                                x: num(a(4)),
                                y: num(a(5)),
                            },
                            data: Vec::new(),
                        },
                    );
                }
                "clipboard" => {
                    let s: u32 = num(a(0));
                    self.streams.insert(
                        s,
                        Stream {
                            kind: StreamKind::Clipboard,
                            data: Vec::new(),
                        },
                    );
                }
                "blob" => {
                    let s: u32 = num(a(0));
                    let b64 = a(1).unwrap();
                    assert!(b64.len() <= 8064, "blob of {} chars", b64.len());
                    let d = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .expect("bad base64");
                    self.streams
                        .get_mut(&s)
                        .expect("blob for unknown stream")
                        .data
                        .extend(d);
                }
                "end" => {
                    let s: u32 = num(a(0));
                    let st = self.streams.remove(&s).expect("end of unknown stream");
                    match st.kind {
                        StreamKind::Img { layer, mime, x, y } => {
                            *self.images.entry(mime.clone()).or_default() += 1;
                            let (w, h, rgba) = decode_image(&mime, &st.data);
                            let lossy = mime != "image/png";
                            let l = self.layers.entry(layer).or_default();
                            for yy in 0..h {
                                for xx in 0..w {
                                    let (dx, dy) = (x + xx, y + yy);
                                    if dx < l.w && dy < l.h {
                                        let d = dy * l.w + dx;
                                        let s = yy * w + xx;
                                        l.px[d * 4..d * 4 + 4]
                                            .copy_from_slice(&rgba[s * 4..s * 4 + 4]);
                                        l.lossy[d] = lossy;
                                    }
                                }
                            }
                        }
                        StreamKind::Clipboard => {
                            self.clipboard = Some(String::from_utf8(st.data).expect("utf-8"));
                        }
                    }
                }
                "copy" => {
                    let (src, sx, sy, w, h): (i32, usize, usize, usize, usize) =
                        (num(a(0)), num(a(1)), num(a(2)), num(a(3)), num(a(4)));
                    let (dst, dx, dy): (i32, usize, usize) = (num(a(6)), num(a(7)), num(a(8)));
                    let s = self
                        .layers
                        .get(&src)
                        .expect("copy from unknown layer")
                        .clone();
                    let d = self.layers.entry(dst).or_default();
                    for yy in 0..h {
                        for xx in 0..w {
                            let (fx, fy, tx, ty) = (sx + xx, sy + yy, dx + xx, dy + yy);
                            if fx < s.w && fy < s.h && tx < d.w && ty < d.h {
                                let (f, t) = (fy * s.w + fx, ty * d.w + tx);
                                d.px[t * 4..t * 4 + 4].copy_from_slice(&s.px[f * 4..f * 4 + 4]);
                                d.lossy[t] = s.lossy[f];
                            }
                        }
                    }
                }
                "cursor" => {
                    let (hx, hy, l): (usize, usize, i32) = (num(a(0)), num(a(1)), num(a(2)));
                    let (w, h): (usize, usize) = (num(a(5)), num(a(6)));
                    let src = self.layers.get(&l).expect("cursor from unknown layer");
                    let mut c = Layer::default();
                    c.resize(w, h);
                    for y in 0..h.min(src.h) {
                        for x in 0..w.min(src.w) {
                            let (f, t) = (y * src.w + x, y * w + x);
                            c.px[t * 4..t * 4 + 4].copy_from_slice(&src.px[f * 4..f * 4 + 4]);
                        }
                    }
                    self.cursor = Some((hx, hy, c));
                }
                "mouse" => self.mouse = Some((num(a(0)), num(a(1)))),
                "sync" => self.syncs.push(num(a(0))),
                "rect" if self.lenient => {
                    let l: i32 = num(a(0));
                    self.rects
                        .insert(l, (num(a(1)), num(a(2)), num(a(3)), num(a(4))));
                }
                "cfill" if self.lenient => {
                    let l: i32 = num(a(1));
                    let rgba: [u8; 4] = [num(a(2)), num(a(3)), num(a(4)), num(a(5))];
                    if let (Some(&(x, y, w, h)), Some(layer)) =
                        (self.rects.get(&l), self.layers.get_mut(&l))
                    {
                        for yy in y..(y + h).min(layer.h) {
                            for xx in x..(x + w).min(layer.w) {
                                let i = yy * layer.w + xx;
                                layer.px[i * 4..i * 4 + 4].copy_from_slice(&rgba);
                                layer.lossy[i] = false;
                            }
                        }
                    }
                }
                _ if self.lenient => {}
                op => panic!("unexpected opcode {op}"),
            }
        }
        if !self.lenient {
            assert!(
                buf.is_empty(),
                "incomplete instruction at the end of a frame"
            );
            assert!(
                self.streams.is_empty(),
                "stream left open at the end of a frame"
            );
        }
    }
}

/// Decodes PNG (any colour type, expanded) or JPEG into RGBA.
pub fn decode_image(mime: &str, data: &[u8]) -> (usize, usize, Vec<u8>) {
    match mime {
        "image/png" => {
            let mut d = png::Decoder::new(std::io::Cursor::new(data));
            d.set_transformations(png::Transformations::EXPAND);
            let mut r = d.read_info().expect("bad png");
            let mut buf = vec![0u8; r.output_buffer_size()];
            let info = r.next_frame(&mut buf).expect("bad png frame");
            let (w, h) = (info.width as usize, info.height as usize);
            let rgba = match info.color_type {
                png::ColorType::Rgb => buf[..w * h * 3]
                    .chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect(),
                png::ColorType::Rgba => buf[..w * h * 4].to_vec(),
                t => panic!("unexpected png colour type {t:?}"),
            };
            (w, h, rgba)
        }
        "image/jpeg" => {
            let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(data));
            let px = d.decode().expect("bad jpeg");
            let info = d.info().expect("jpeg info");
            let (w, h) = (usize::from(info.width), usize::from(info.height));
            assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
            let rgba = px
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            (w, h, rgba)
        }
        "image/webp" => {
            let mut d = image_webp::WebPDecoder::new(std::io::Cursor::new(data)).expect("bad webp");
            let (w, h) = d.dimensions();
            let (w, h) = (w as usize, h as usize);
            let alpha = d.has_alpha();
            let mut buf = vec![0u8; d.output_buffer_size().expect("webp size")];
            d.read_image(&mut buf).expect("bad webp data");
            let rgba = if alpha {
                buf
            } else {
                buf.chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect()
            };
            (w, h, rgba)
        }
        m => panic!("unexpected mimetype {m}"),
    }
}

/// Compares a display layer with BGRX pixels: (exact mismatches in lossless pixels,
/// worst channel error in lossy pixels).
pub fn compare_bgrx(l: &Layer, bgrx: &[u8], w: usize, h: usize) -> (usize, u8) {
    assert_eq!((l.w, l.h), (w, h), "display size differs");
    let mut bad = 0;
    let mut worst = 0u8;
    for i in 0..w * h {
        let want = [bgrx[i * 4 + 2], bgrx[i * 4 + 1], bgrx[i * 4]];
        let got = [l.px[i * 4], l.px[i * 4 + 1], l.px[i * 4 + 2]];
        if l.lossy[i] {
            for c in 0..3 {
                worst = worst.max(want[c].abs_diff(got[c]));
            }
        } else if want != got {
            bad += 1;
        }
    }
    (bad, worst)
}
