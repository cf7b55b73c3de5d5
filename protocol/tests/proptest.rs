//! Property tests of the streaming parser and the encoder.
//!
//! * encode → parse round-trips for arbitrary opcodes and arguments (non-BMP characters,
//!   empty values, `,` `;` `.` inside values), many instructions per read;
//! * the result never depends on how the stream is cut into reads: 1-byte reads, random
//!   reads, cuts inside multi-byte UTF-8 characters — for valid streams *and* for garbage
//!   (the same instructions, then the same error at the same offset);
//! * garbage never panics and never loops: every `Some` consumes bytes, `Ok(None)` is
//!   stable when no bytes are added, and errors are sticky;
//! * limits: a reference model predicts exactly which instruction fails, with which error
//!   and at which offset, for arbitrary (tiny) limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use porthole_protocol::{encode, Instruction, Limits, ParseError, ParseErrorKind, Parser};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Characters that matter to a Guacamole codec: separators, digits, every UTF-8 width and
/// its boundaries, non-BMP characters, plus arbitrary scalar values.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        3 => prop::sample::select(vec![',', ';', '.', '0', '9', '-', ' ', '\0', '\u{7f}']),
        3 => prop::sample::select(vec![
            '\u{80}', 'é', '\u{7FF}', '\u{800}', '€', '\u{D7FF}', '\u{E000}', '\u{FFFD}',
            '\u{FFFF}', '\u{10000}', '😀', '𝄞', '\u{10FFFF}',
        ]),
        2 => any::<char>(),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        8 => vec(interesting_char(), 0..16).prop_map(|v| v.into_iter().collect()),
        1 => vec(interesting_char(), 16..400).prop_map(|v| v.into_iter().collect()),
    ]
}

/// Opcode and arguments.
type Instr = (String, Vec<String>);

fn instr() -> impl Strategy<Value = Instr> {
    (value(), vec(value(), 0..10))
}

fn stream() -> impl Strategy<Value = Vec<Instr>> {
    vec(instr(), 1..12)
}

/// Small instructions for the limits model (cheap to shrink, close to tiny limits).
fn small_instr() -> impl Strategy<Value = Instr> {
    fn v() -> impl Strategy<Value = String> {
        vec(interesting_char(), 0..14).prop_map(|v| v.into_iter().collect())
    }
    (v(), vec(v(), 0..6))
}

/// How the stream is cut into reads: chunk sizes, used cyclically.
fn chunking() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        1 => Just(vec![1]),
        1 => vec(1usize..4, 1..16),
        2 => vec(1usize..64, 1..16),
        1 => vec(1usize..4096, 1..4),
    ]
}

fn tiny_limits() -> impl Strategy<Value = Limits> {
    (0usize..20, 1usize..8, 1usize..128).prop_map(|(e, n, b)| Limits {
        max_element_len: e,
        max_elements: n,
        max_instruction_bytes: b,
    })
}

fn any_limits() -> impl Strategy<Value = Limits> {
    prop_oneof![Just(Limits::LIBGUAC), Just(Limits::UPSTREAM), tiny_limits(),]
}

/// Arbitrary bytes, or an encoded stream with a few random byte edits (far more
/// interesting than uniform noise, which fails at the first byte).
fn garbage() -> impl Strategy<Value = Vec<u8>> {
    let edited = (
        stream(),
        vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..6),
    )
        .prop_map(|(s, edits)| {
            let mut bytes = encode_all(&s).to_vec();
            for (at, kind, b) in edits {
                let i = at.index(bytes.len() + 1);
                match kind {
                    0 if i < bytes.len() => bytes[i] = b,
                    1 => bytes.insert(i, b),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            bytes
        });
    let alphabet = prop::sample::select(
        b"0123456789.,;.,;abc\x80\xbf\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xc0\xed\xa0".to_vec(),
    );
    prop_oneof![
        1 => vec(any::<u8>(), 0..256),
        2 => vec(alphabet, 0..256),
        4 => edited,
    ]
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn encode_all(s: &[Instr]) -> BytesMut {
    let mut buf = BytesMut::new();
    for (op, args) in s {
        encode(&mut buf, op, args);
    }
    buf
}

fn cut<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
        i += 1;
    }
    out
}

/// Everything a parser made of a stream.
#[derive(Debug, PartialEq)]
struct Outcome {
    instructions: Vec<Instruction>,
    error: Option<ParseError>,
    /// Bytes consumed into complete instructions.
    consumed: u64,
    /// Buffered bytes of an incomplete instruction at the end (no error).
    pending: usize,
}

/// Feeds `chunks` one read at a time, draining the parser after each read, and checks
/// the invariants that must hold after every single call.
fn feed<'a>(limits: Limits, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut p = Parser::new(limits);
    let mut buf = BytesMut::new();
    let mut instructions = Vec::new();
    let mut error = None;
    let mut fed = 0u64;
    let mut stream = Vec::new();
    'reads: for chunk in chunks {
        buf.extend_from_slice(chunk);
        stream.extend_from_slice(chunk);
        fed += chunk.len() as u64;
        loop {
            let consumed_before = p.consumed();
            let len_before = buf.len();
            match p.next(&mut buf) {
                Ok(Some(i)) => {
                    // Progress: a returned instruction is split off the buffer.
                    let n = i.encoded_len();
                    assert!(n >= 3, "shortest instruction is `0.;`");
                    assert_eq!(p.consumed(), consumed_before + n as u64);
                    assert_eq!(buf.len(), len_before - n);
                    // It is exactly the next bytes of the stream.
                    let at = consumed_before as usize;
                    assert_eq!(&i.as_bytes()[..], &stream[at..at + n]);
                    check_limits(&i, limits);
                    instructions.push(i);
                }
                Ok(None) => {
                    // No progress without new bytes, and no change either.
                    for _ in 0..3 {
                        assert_eq!(p.next(&mut buf), Ok(None));
                        assert_eq!(buf.len(), len_before);
                        assert_eq!(p.consumed(), consumed_before);
                    }
                    break;
                }
                Err(e) => {
                    assert!(
                        e.offset < fed,
                        "error offset {} beyond the {fed} bytes fed",
                        e.offset
                    );
                    assert!(e.offset >= p.consumed());
                    // Sticky, with or without new bytes.
                    assert_eq!(p.next(&mut buf), Err(e.clone()));
                    buf.extend_from_slice(b"3.nop;");
                    assert_eq!(p.next(&mut buf), Err(e.clone()));
                    error = Some(e);
                    break 'reads;
                }
            }
        }
    }
    let pending = if error.is_some() { 0 } else { buf.len() };
    if error.is_none() {
        assert_eq!(p.at_boundary(&buf), pending == 0);
    }
    Outcome {
        instructions,
        error,
        consumed: p.consumed(),
        pending,
    }
}

/// Every instruction the parser returns honours its limits.
fn check_limits(i: &Instruction, limits: Limits) {
    assert!(i.encoded_len() <= limits.max_instruction_bytes);
    assert!(i.arg_count() < limits.max_elements);
    assert!(i.opcode().chars().count() <= limits.max_element_len);
    for a in i.args() {
        assert!(a.chars().count() <= limits.max_element_len);
    }
}

fn decoded(i: &Instruction) -> Instr {
    (i.opcode().to_owned(), i.args().map(str::to_owned).collect())
}

/// What the parser must report for a stream of well-formed instructions under `limits`:
/// how many instructions pass, then the first error with its stream offset. Mirrors the
/// documented order of checks: a length prefix is refused as soon as its digits exceed
/// the element limit; at its `.`, an element that cannot fit the byte limit (one byte per
/// code point plus a terminator) is refused (reported at the `.`); an instruction may never reach its
/// `max_instruction_bytes`-th byte (reported at that offset); the element count is
/// checked when an element is complete.
fn model(s: &[Instr], limits: Limits) -> (usize, Option<ParseError>) {
    let mut base = 0u64;
    let err = |kind, at: usize, base: u64| {
        Some(ParseError {
            kind,
            offset: base + at as u64,
        })
    };
    for (n, (op, args)) in s.iter().enumerate() {
        let max = limits.max_instruction_bytes;
        let too_long = ParseErrorKind::InstructionTooLong { max };
        let mut pos = 0usize;
        for (k, el) in std::iter::once(op).chain(args).enumerate() {
            let len = el.chars().count();
            let mut v = 0u64;
            for d in len.to_string().bytes() {
                if pos >= max {
                    return (n, err(too_long, max, base));
                }
                v = v * 10 + u64::from(d - b'0');
                if v > limits.max_element_len as u64 {
                    let kind = ParseErrorKind::ElementTooLong {
                        len: v,
                        max: limits.max_element_len,
                    };
                    return (n, err(kind, pos, base));
                }
                pos += 1;
            }
            if pos >= max {
                return (n, err(too_long, max, base));
            }
            if pos + 1 + len >= max {
                return (n, err(too_long, pos, base));
            }
            pos += 1; // '.'
            let start = pos;
            pos += el.len();
            if pos >= max {
                return (n, err(too_long, max, base));
            }
            if k >= limits.max_elements {
                let kind = ParseErrorKind::TooManyElements {
                    max: limits.max_elements,
                };
                return (n, err(kind, start, base));
            }
            pos += 1; // ',' or ';'
        }
        base += pos as u64;
    }
    (s.len(), None)
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES raises it for a longer run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        // Relative to the package root (cargo runs integration tests there).
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/proptest.txt",
        ))),
        ..ProptestConfig::default()
    })]

    /// encode → parse gives back every instruction, all from one read.
    #[test]
    fn roundtrip_one_read(s in stream()) {
        let bytes = encode_all(&s);
        let out = feed(Limits::UPSTREAM, [&bytes[..]]);
        prop_assert_eq!(out.error, None);
        prop_assert_eq!(out.pending, 0);
        prop_assert_eq!(out.consumed, bytes.len() as u64);
        prop_assert_eq!(out.instructions.len(), s.len());
        for (i, (op, args)) in out.instructions.iter().zip(&s) {
            prop_assert_eq!(&decoded(i), &(op.clone(), args.clone()));
            // The parsed instruction equals the one the encoder builds, ranges included.
            prop_assert_eq!(i, &Instruction::new(op, args));
            // Zero-copy argument slices agree with the &str accessors.
            for (k, a) in args.iter().enumerate() {
                prop_assert_eq!(&i.arg_bytes(k).unwrap()[..], a.as_bytes());
            }
        }
    }

    /// The way the stream is cut into reads changes nothing.
    #[test]
    fn roundtrip_any_chunking(s in stream(), sizes in chunking(), limits in any_limits()) {
        let bytes = encode_all(&s);
        let whole = feed(limits, [&bytes[..]]);
        let chunked = feed(limits, cut(&bytes, &sizes));
        prop_assert_eq!(&chunked, &whole);
        if limits == Limits::UPSTREAM {
            prop_assert_eq!(whole.instructions.len(), s.len());
        }
    }

    /// One cut at every position, in particular inside every multi-byte character.
    #[test]
    fn roundtrip_every_single_cut(s in vec(small_instr(), 1..4)) {
        let bytes = encode_all(&s);
        let whole = feed(Limits::LIBGUAC, [&bytes[..]]);
        prop_assert_eq!(whole.instructions.len(), s.len());
        for at in 0..=bytes.len() {
            let (a, b) = bytes.split_at(at);
            prop_assert_eq!(&feed(Limits::LIBGUAC, [a, b]), &whole, "cut at {}", at);
        }
    }

    /// Garbage: no panic, no loop (checked by `feed` after every call), sticky errors,
    /// and the outcome — instructions, error and its offset — independent of the reads.
    #[test]
    fn garbage_is_handled(data in garbage(), sizes in chunking(), limits in any_limits()) {
        let whole = feed(limits, [&data[..]]);
        let bytewise = feed(limits, data.chunks(1));
        prop_assert_eq!(&bytewise, &whole);
        let chunked = feed(limits, cut(&data, &sizes));
        prop_assert_eq!(&chunked, &whole);
        // Whatever was accepted re-encodes to something that parses back the same.
        for i in &whole.instructions {
            let (op, args) = decoded(i);
            let again = feed(Limits::UPSTREAM, [&Instruction::new(&op, &args).as_bytes()[..]]);
            prop_assert_eq!(again.instructions.iter().map(decoded).collect::<Vec<_>>(), vec![(op, args)]);
        }
    }

    /// Limits: the parser fails exactly where the model says, with the same error and
    /// offset, whatever the reads.
    #[test]
    fn limits_follow_the_model(
        s in vec(small_instr(), 1..6),
        limits in tiny_limits(),
        sizes in chunking(),
    ) {
        let bytes = encode_all(&s);
        let (ok, error) = model(&s, limits);
        for out in [feed(limits, [&bytes[..]]), feed(limits, cut(&bytes, &sizes))] {
            prop_assert_eq!(out.instructions.len(), ok);
            prop_assert_eq!(&out.error, &error);
            for (i, x) in out.instructions.iter().zip(&s) {
                prop_assert_eq!(&decoded(i), x);
            }
        }
    }

    /// An element one code point over the limit is refused with ElementTooLong; one at the
    /// limit passes.
    #[test]
    fn element_limit_is_exact(max in 0usize..300, wide in any::<bool>()) {
        let limits = Limits { max_element_len: max, ..Limits::LIBGUAC };
        let c = if wide { '😀' } else { 'x' };
        let at: String = std::iter::repeat_n(c, max).collect();
        let over: String = std::iter::repeat_n(c, max + 1).collect();
        // The opcode is empty so that it fits even `max == 0`.
        let ok = feed(limits, [&encode_all(&[(String::new(), vec![at.clone()])])[..]]);
        prop_assert_eq!(ok.error, None);
        prop_assert_eq!(ok.instructions[0].arg(0), Some(at.as_str()));
        let bad = feed(limits, [&encode_all(&[(String::new(), vec![over])])[..]]);
        let kind = bad.error.map(|e| e.kind);
        let refused = matches!(kind, Some(ParseErrorKind::ElementTooLong { max: m, .. }) if m == max);
        prop_assert!(refused, "{:?}", kind);
    }

    /// Instructions with up to `max_elements` elements pass; one more fails with
    /// TooManyElements.
    #[test]
    fn element_count_limit_is_exact(max in 1usize..200) {
        let limits = Limits { max_elements: max, ..Limits::UPSTREAM };
        let args = |n: usize| vec![String::from("v"); n];
        let ok = feed(limits, [&encode_all(&[("op".into(), args(max - 1))])[..]]);
        prop_assert_eq!(ok.error, None);
        prop_assert_eq!(ok.instructions[0].arg_count(), max - 1);
        let bad = feed(limits, [&encode_all(&[("op".into(), args(max))])[..]]);
        prop_assert_eq!(bad.error.map(|e| e.kind), Some(ParseErrorKind::TooManyElements { max }));
    }

    /// An instruction of exactly `max_instruction_bytes` bytes passes; one byte more
    /// fails with InstructionTooLong.
    #[test]
    fn instruction_byte_limit_is_exact(s in small_instr()) {
        let bytes = encode_all(std::slice::from_ref(&s));
        let exact = Limits { max_instruction_bytes: bytes.len(), ..Limits::UPSTREAM };
        prop_assert_eq!(feed(exact, bytes.chunks(1)).instructions.len(), 1);
        let short = Limits { max_instruction_bytes: bytes.len() - 1, ..Limits::UPSTREAM };
        for out in [feed(short, [&bytes[..]]), feed(short, bytes.chunks(1))] {
            prop_assert_eq!(
                out.error.map(|e| e.kind),
                Some(ParseErrorKind::InstructionTooLong { max: bytes.len() - 1 })
            );
        }
    }

    /// Leading zeros in a length prefix are accepted (libguac and the JS parser read the
    /// digits as a number), however many there are, within the byte limit.
    #[test]
    fn leading_zeros_in_lengths(zeros in 0usize..40, v in value()) {
        let mut bytes = "0".repeat(zeros).into_bytes();
        bytes.extend_from_slice(&encode_all(&[(v.clone(), vec![])]));
        let out = feed(Limits::UPSTREAM, bytes.chunks(3));
        prop_assert_eq!(out.error, None);
        prop_assert_eq!(out.instructions[0].opcode(), v.as_str());
    }
}

// ---------------------------------------------------------------------------------------
// Regressions: cases found by the properties above, kept as plain tests.
// ---------------------------------------------------------------------------------------

/// Found by `garbage_is_handled`: the error depended on how the stream was cut. In one
/// read, the 4-byte character ending past the 8-byte limit was swallowed whole and the
/// bad terminator after it reported; byte by byte, the parser noticed first that 9 bytes
/// were buffered and reported InstructionTooLong at offset 9.
#[test]
fn regression_error_does_not_depend_on_reads() {
    let limits = Limits {
        max_element_len: 100,
        max_elements: 100,
        max_instruction_bytes: 8,
    };
    let data = "1.a,1.😀X".as_bytes();
    let whole = feed(limits, [data]);
    assert_eq!(feed(limits, data.chunks(1)), whole);
    assert_eq!(feed(limits, data.chunks(7)), whole);
    assert_eq!(
        whole.error,
        Some(ParseError {
            kind: ParseErrorKind::InstructionTooLong { max: 8 },
            offset: 8
        })
    );
}

/// Found by `garbage_is_handled`: invalid UTF-8 in an element extending past the byte
/// limit was reported as InvalidUtf8 in one read and as InstructionTooLong byte by byte.
#[test]
fn regression_invalid_utf8_past_byte_limit() {
    let limits = Limits {
        max_element_len: 100,
        max_elements: 100,
        max_instruction_bytes: 8,
    };
    let data = b"1.a,1.\xc3\x80\x80\x80;";
    let whole = feed(limits, [&data[..]]);
    assert_eq!(feed(limits, data.chunks(1)), whole);
    assert_eq!(
        whole.error,
        Some(ParseError {
            kind: ParseErrorKind::InstructionTooLong { max: 8 },
            offset: 8
        })
    );
}

/// Found by `leading_zeros_in_lengths`: eleven digits of `0…01` were refused as
/// "element of 1 code points exceeds the limit of 8192".
#[test]
fn regression_leading_zeros() {
    let out = feed(Limits::LIBGUAC, [&b"000000000003.nop;"[..]]);
    assert_eq!(out.error, None);
    assert_eq!(out.instructions[0].opcode(), "nop");
}

/// A length prefix that can never fit is still refused at its digits, not by overflow.
#[test]
fn huge_length_prefix() {
    let limits = Limits {
        max_element_len: usize::MAX,
        max_elements: 10,
        max_instruction_bytes: usize::MAX,
    };
    let out = feed(limits, [&b"99999999999999999999999999."[..]]);
    assert!(matches!(
        out.error.map(|e| e.kind),
        Some(ParseErrorKind::ElementTooLong { .. })
    ));
}
