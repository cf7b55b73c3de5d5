//! VNC Authentication (RFC 6143 §7.2.2): DES-encrypt the server's 16-byte challenge.
//!
//! The key is the password's first 8 bytes, zero-padded, with the bits of each byte
//! reversed — the quirk every VNC implementation shares (the original code loaded the
//! key bit-reversed and the protocol froze that). Passwords longer than 8 bytes are cut.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockEncrypt, KeyInit};
use des::Des;

/// The key DES uses for `password`.
pub fn des_key(password: &str) -> [u8; 8] {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(password.bytes()) {
        *k = b.reverse_bits();
    }
    key
}

/// The 16-byte response to `challenge` for `password`.
pub fn response(password: &str, challenge: &[u8; 16]) -> [u8; 16] {
    let cipher = Des::new(GenericArray::from_slice(&des_key(password)));
    let mut out = *challenge;
    for block in out.chunks_exact_mut(8) {
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
    }
    out
}

/// The content of a TigerVNC/RealVNC password file for `password` (what `vncpasswd -f`
/// writes): the password's first 8 bytes encrypted with the fixed key every VNC server
/// knows. Tests use it to check this DES against `vncpasswd`.
pub fn password_file(password: &str) -> [u8; 8] {
    // The fixed key as VNC's d3des loads it, i.e. with each byte's bits reversed.
    const FIXED: [u8; 8] = [23, 82, 107, 6, 35, 78, 88, 7];
    let key = FIXED.map(u8::reverse_bits);
    let cipher = Des::new(GenericArray::from_slice(&key));
    let mut block = [0u8; 8];
    for (b, p) in block.iter_mut().zip(password.bytes()) {
        *b = p;
    }
    cipher.encrypt_block(GenericArray::from_mut_slice(&mut block));
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bits_are_reversed() {
        assert_eq!(des_key("a"), [0x86, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(des_key("123456789")[7], b'8'.reverse_bits());
    }

    #[test]
    fn known_vector() {
        // FIPS 81: key 0x0123456789ABCDEF encrypts "Now is t" to 0x3FA40E8A984D4815.
        let cipher = Des::new(GenericArray::from_slice(&[
            0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
        ]));
        let mut block = *b"Now is t";
        cipher.encrypt_block(GenericArray::from_mut_slice(&mut block));
        assert_eq!(block, [0x3F, 0xA4, 0x0E, 0x8A, 0x98, 0x4D, 0x48, 0x15]);
    }

    #[test]
    fn response_is_two_ecb_blocks() {
        let c = [7u8; 16];
        let r = response("secret", &c);
        assert_eq!(r[..8], r[8..]);
        assert_ne!(r[..8], c[..8]);
    }
}
