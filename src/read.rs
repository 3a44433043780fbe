//! Reading input files as text. Jina reads Flows as UTF-8 (PyYAML accepts a leading byte-order
//! mark); a file in another encoding is refused at the first byte that is not UTF-8, located, so
//! the user knows it is the encoding and not the YAML.

use std::path::Path;

use crate::error::{Error, Pos, Result};

/// The text of `path`, without a UTF-8 byte-order mark.
pub fn text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode(bytes).map_err(|e| e.in_file(path))
}

/// UTF-8 text from `bytes`, or a located error naming the encoding it seems to be in.
pub fn decode(mut bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || (bytes.len() >= 2 && (bytes[0] == 0 || bytes[1] == 0));
    if utf16 {
        return Err(
            Error::input(Pos::new(1, 1), "the file is UTF-16 (or UTF-32), not UTF-8").with_hint(
                "save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8 flow.yml > flow-utf8.yml`",
            ),
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let bad = e.as_bytes()[valid.len()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        Error::input(
            Pos::new(line, column),
            format!("byte 0x{bad:02X} is not UTF-8 text"),
        )
        .with_hint("save the file as UTF-8 (it may be Latin-1 or Windows-1252)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_other_than_utf8_are_located() {
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1".to_vec()).unwrap(), "a: 1");
        let e = decode(b"a: 1\nb: caf\xE9\n".to_vec()).unwrap_err();
        assert_eq!(e.pos(), Some(Pos::new(2, 7)));
        let e = decode(b"\xFF\xFEa\0:\0".to_vec()).unwrap_err();
        assert!(e.to_string().contains("UTF-16"), "{e}");
    }
}
