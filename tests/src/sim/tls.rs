//! The optional TLS listener (guacd's `-C`/`-K` mode), via tokio-rustls and ring.

use super::config::TlsIdentity;
use std::io;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

/// A TLS acceptor for a PEM certificate chain and private key.
pub(crate) fn acceptor(id: &TlsIdentity) -> io::Result<TlsAcceptor> {
    let certs =
        rustls_pemfile::certs(&mut id.cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(invalid("no certificate in the TLS certificate PEM"));
    }
    let key = rustls_pemfile::private_key(&mut id.key_pem.as_bytes())?
        .ok_or_else(|| invalid("no private key in the TLS key PEM"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(invalid)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
