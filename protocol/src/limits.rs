//! Parser limits.
//!
//! libguac (guacd) refuses elements longer than 8192 code points, instructions of more
//! than 128 elements (opcode included) and instructions that do not fit its 32 KiB
//! buffer (guacamole-wire.md §1.2). The gateway applies exactly those numbers to what
//! browsers send, because everything a browser sends may be forwarded to guacd. What
//! guacd sends is bounded too, but more loosely: guacd never emits a blob over 8064
//! characters, yet `args`/`connect` of future plugins, clipboard text or terminal titles
//! may be long, so the upstream defaults allow larger elements while staying bounded.

/// Bounds applied by a [`crate::Parser`] to every instruction it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum length of one element, in Unicode code points.
    pub max_element_len: usize,
    /// Maximum number of elements in one instruction, the opcode included.
    pub max_elements: usize,
    /// Maximum size of one whole instruction on the wire, in bytes.
    pub max_instruction_bytes: usize,
}

impl Limits {
    /// libguac's own limits: 8192 code points per element, 128 elements, 32 KiB per
    /// instruction. Apply these to anything that may be forwarded to guacd.
    pub const LIBGUAC: Limits = Limits {
        max_element_len: 8192,
        max_elements: 128,
        max_instruction_bytes: 32 * 1024,
    };

    /// Default limits for instructions read from an upstream (guacd): 1 Mi code points
    /// per element, 1024 elements, 4 MiB per instruction. Bounded, but generous enough
    /// for anything guacd 1.5/1.6 emits.
    pub const UPSTREAM: Limits = Limits {
        max_element_len: 1024 * 1024,
        max_elements: 1024,
        max_instruction_bytes: 4 * 1024 * 1024,
    };

    /// The limits a browser's instructions are held to (the same as libguac's).
    pub const BROWSER: Limits = Limits::LIBGUAC;
}

impl Default for Limits {
    fn default() -> Self {
        Limits::LIBGUAC
    }
}
