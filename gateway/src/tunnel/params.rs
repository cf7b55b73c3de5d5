//! The connect data a stock client sends as the WebSocket query (guacamole-wire.md §5.2):
//! `token`, `GUAC_ID`, `GUAC_TYPE`, `GUAC_WIDTH`/`HEIGHT`/`DPI`, `GUAC_TIMEZONE`, and the
//! repeated `GUAC_AUDIO`/`GUAC_VIDEO`/`GUAC_IMAGE`. Unusable numbers fall back to the
//! stock defaults (1024×768 at 96 dpi) rather than failing the connection; sizes are
//! clamped to what guacd can draw.

use porthole_protocol::handshake::{ClientInfo, Size};

/// Largest display dimension accepted from a browser.
pub const MAX_DIMENSION: u32 = 16_384;
/// Most mimetypes kept per kind; a browser lists a handful.
const MAX_TYPES: usize = 16;

/// Parsed connect data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectParams {
    pub token: Option<String>,
    pub id: Option<String>,
    pub kind: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub dpi: Option<u32>,
    pub timezone: Option<String>,
    pub audio: Vec<String>,
    pub video: Vec<String>,
    pub image: Vec<String>,
}

fn dim(v: &str, max: u32) -> Option<u32> {
    v.parse::<u32>().ok().filter(|n| *n > 0).map(|n| n.min(max))
}

fn mimetype(v: &str) -> Option<String> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/+-.;=".contains(&b));
    ok.then(|| v.to_owned())
}

impl ConnectParams {
    /// Parses a URL query string.
    pub fn parse(query: &str) -> ConnectParams {
        let mut p = ConnectParams::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "token" => p.token = Some(v.into_owned()),
                "GUAC_ID" => p.id = Some(v.into_owned()),
                "GUAC_TYPE" => p.kind = Some(v.into_owned()),
                "GUAC_WIDTH" => p.width = dim(&v, MAX_DIMENSION),
                "GUAC_HEIGHT" => p.height = dim(&v, MAX_DIMENSION),
                "GUAC_DPI" => p.dpi = dim(&v, 1_000),
                "GUAC_TIMEZONE" if v.len() <= 64 => p.timezone = Some(v.into_owned()),
                "GUAC_AUDIO" if p.audio.len() < MAX_TYPES => p.audio.extend(mimetype(&v)),
                "GUAC_VIDEO" if p.video.len() < MAX_TYPES => p.video.extend(mimetype(&v)),
                "GUAC_IMAGE" if p.image.len() < MAX_TYPES => p.image.extend(mimetype(&v)),
                _ => {}
            }
        }
        p
    }

    /// The handshake values for guacd, with the user's display name.
    pub fn client_info(&self, name: Option<String>) -> ClientInfo {
        let d = Size::default();
        ClientInfo {
            size: Size {
                width: self.width.unwrap_or(d.width),
                height: self.height.unwrap_or(d.height),
                dpi: self.dpi.unwrap_or(d.dpi),
            },
            audio: self.audio.clone(),
            video: self.video.clone(),
            image: self.image.clone(),
            timezone: self.timezone.clone().filter(|t| !t.is_empty()),
            name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stock_connect_string() {
        let p = ConnectParams::parse(
            "token=abc&GUAC_DATA_SOURCE=x&GUAC_ID=42&GUAC_TYPE=c&GUAC_WIDTH=1920&GUAC_HEIGHT=1080\
             &GUAC_DPI=192&GUAC_TIMEZONE=Europe%2FParis&GUAC_AUDIO=audio%2FL8&GUAC_AUDIO=audio%2FL16\
             &GUAC_IMAGE=image%2Fpng&GUAC_IMAGE=image%2Fwebp",
        );
        assert_eq!(p.token.as_deref(), Some("abc"));
        assert_eq!(p.id.as_deref(), Some("42"));
        assert_eq!(
            (p.width, p.height, p.dpi),
            (Some(1920), Some(1080), Some(192))
        );
        assert_eq!(p.timezone.as_deref(), Some("Europe/Paris"));
        assert_eq!(p.audio, ["audio/L8", "audio/L16"]);
        assert_eq!(p.image, ["image/png", "image/webp"]);
    }

    #[test]
    fn bad_numbers_fall_back_and_sizes_clamp() {
        let p =
            ConnectParams::parse("GUAC_WIDTH=-5&GUAC_HEIGHT=999999&GUAC_DPI=abc&GUAC_IMAGE=%00bad");
        let info = p.client_info(None);
        assert_eq!(info.size.width, 1024);
        assert_eq!(info.size.height, MAX_DIMENSION);
        assert_eq!(info.size.dpi, 96);
        assert!(info.image.is_empty());
    }
}
