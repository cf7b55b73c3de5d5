//! Fuzz target `parser`: arbitrary bytes through the streaming parser.
//!
//! The first two input bytes choose how the rest is cut into reads: byte 0 gives the
//! position of a first cut (as a fraction of the input), byte 1 the size of every later
//! read (1..=256). The stream is parsed with libguac's limits and with tiny limits, both
//! in one read and in those reads, and:
//!
//! * the outcome (instructions, then the error with its offset) must not depend on the
//!   reads;
//! * `Ok(None)` must be stable when no bytes are added, and errors sticky;
//! * every instruction must honour the limits, be exactly the next bytes of the stream,
//!   and, re-encoded with the encoder, parse back identical (under the same limits);
//!   the re-encoding is never longer than the original, and byte-identical unless the
//!   original had leading zeros in a length.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use porthole_protocol::{encode, Instruction, Limits, ParseError, Parser};

const TINY: Limits = Limits {
    max_element_len: 16,
    max_elements: 4,
    max_instruction_bytes: 64,
};

type Decoded = (String, Vec<String>);

fn decoded(i: &Instruction) -> Decoded {
    (i.opcode().to_owned(), i.args().map(str::to_owned).collect())
}

fn feed<'a>(
    limits: Limits,
    reads: impl Iterator<Item = &'a [u8]>,
) -> (Vec<Instruction>, Option<ParseError>) {
    let mut p = Parser::new(limits);
    let mut buf = BytesMut::new();
    let mut stream = Vec::new();
    let mut out = Vec::new();
    for read in reads {
        buf.extend_from_slice(read);
        stream.extend_from_slice(read);
        loop {
            let (consumed, len) = (p.consumed(), buf.len());
            match p.next(&mut buf) {
                Ok(Some(i)) => {
                    let n = i.encoded_len();
                    assert!(n >= 3);
                    assert_eq!(p.consumed(), consumed + n as u64);
                    assert_eq!(
                        &i.as_bytes()[..],
                        &stream[consumed as usize..consumed as usize + n]
                    );
                    assert!(n <= limits.max_instruction_bytes);
                    assert!(i.arg_count() < limits.max_elements);
                    out.push(i);
                }
                Ok(None) => {
                    assert_eq!(p.next(&mut buf), Ok(None));
                    assert_eq!(buf.len(), len);
                    break;
                }
                Err(e) => {
                    assert!(e.offset < stream.len() as u64);
                    assert_eq!(p.next(&mut buf), Err(e.clone()));
                    buf.extend_from_slice(b"3.nop;");
                    assert_eq!(p.next(&mut buf), Err(e.clone()));
                    return (out, Some(e));
                }
            }
        }
    }
    (out, None)
}

fn reencode_roundtrip(i: &Instruction, limits: Limits) {
    let (op, args) = decoded(i);
    let mut again = BytesMut::new();
    encode(&mut again, &op, &args);
    assert!(again.len() <= i.encoded_len());
    if again.len() == i.encoded_len() {
        assert_eq!(&again[..], &i.as_bytes()[..]);
    }
    let (back, err) = feed(limits, std::iter::once(&again[..]));
    assert_eq!(err, None);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0], Instruction::new(&op, &args));
    assert_eq!(decoded(&back[0]), (op, args));
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (head, input) = data.split_at(2);
    let first = input.len() * usize::from(head[0]) / 255;
    let size = usize::from(head[1]) + 1;
    let (a, b) = input.split_at(first);
    for limits in [Limits::LIBGUAC, TINY] {
        let whole = feed(limits, std::iter::once(input));
        let chunked = feed(limits, std::iter::once(a).chain(b.chunks(size)));
        assert_eq!(whole, chunked);
        for i in &whole.0 {
            reencode_roundtrip(i, limits);
        }
    }
});
