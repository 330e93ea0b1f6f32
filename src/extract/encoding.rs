//! Text encoding detection, strict decoding, and the mapping from decoded
//! text back to the original bytes (so redaction leaves every other byte
//! exactly as submitted).

use encoding_rs::{
    DecoderResult, Encoding, BIG5, EUC_JP, EUC_KR, GB18030, GBK, SHIFT_JIS, UTF_16BE, UTF_16LE,
};

use std::borrow::Cow;

use super::ExtractError;

/// Bytes fed to the encoding detector; plenty to tell GBK from its look-alikes.
const SNIFF_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Gbk,
    Gb18030,
}

impl TextEncoding {
    const ALL: [TextEncoding; 5] = [
        Self::Utf8,
        Self::Utf16Le,
        Self::Utf16Be,
        Self::Gbk,
        Self::Gb18030,
    ];

    /// The encoding stored as [`TextEncoding::name`].
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
            Self::Gbk => "GBK",
            Self::Gb18030 => "GB18030",
        }
    }

    /// Encodes replacement text for splicing into the original bytes.
    pub fn encode(self, s: &str) -> Result<Vec<u8>, ExtractError> {
        let legacy = match self {
            Self::Utf8 => return Ok(s.as_bytes().to_vec()),
            Self::Utf16Le => return Ok(s.encode_utf16().flat_map(u16::to_le_bytes).collect()),
            Self::Utf16Be => return Ok(s.encode_utf16().flat_map(u16::to_be_bytes).collect()),
            Self::Gbk => GBK,
            Self::Gb18030 => GB18030,
        };
        let (bytes, _, unmappable) = legacy.encode(s);
        if unmappable {
            return Err(ExtractError::Undecodable {
                detail: format!(
                    "replacement text {s:?} cannot be written in {}",
                    self.name()
                ),
            });
        }
        Ok(bytes.into_owned())
    }

    /// Original byte length of the character starting at `body[at]`, which
    /// decoded to `c`. Strict decoding guarantees one sequence per character.
    fn source_len(self, body: &[u8], at: usize, c: char) -> usize {
        match self {
            Self::Utf8 => c.len_utf8(),
            Self::Utf16Le | Self::Utf16Be => c.len_utf16() * 2,
            Self::Gbk | Self::Gb18030 => match body.get(at) {
                None | Some(0x00..=0x80 | 0xFF) => 1,
                _ if matches!(body.get(at + 1), Some(0x30..=0x39)) => 4,
                _ => 2,
            },
        }
    }
}

/// A text file decoded strictly: `text` excludes the byte order mark. A
/// UTF-8 file is its own text, borrowed: a large table is not held twice.
#[derive(Debug, Clone)]
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: TextEncoding,
    pub bom_len: usize,
}

impl Decoded<'_> {
    /// The same text, owning it (for a result kept past the bytes).
    pub fn into_owned(self) -> Decoded<'static> {
        Decoded {
            text: Cow::Owned(self.text.into_owned()),
            encoding: self.encoding,
            bom_len: self.bom_len,
        }
    }
}

/// Maps offsets into a decoded text, asked in ascending order, to offsets
/// in the original bytes: one forward walk however many are asked, which
/// is what splicing a rendition's edits in file order needs.
pub(crate) struct SourceCursor<'a> {
    decoded: &'a Decoded<'a>,
    body: &'a [u8],
    text_at: usize,
    source_at: usize,
}

impl<'a> SourceCursor<'a> {
    pub fn new(decoded: &'a Decoded<'a>, original: &'a [u8]) -> Self {
        Self {
            decoded,
            body: original.get(decoded.bom_len..).unwrap_or_default(),
            text_at: 0,
            source_at: 0,
        }
    }

    /// The original offset of `offset`, a char boundary of the text not
    /// before the last one asked; `None` for any other offset.
    pub fn source_offset(&mut self, offset: usize) -> Option<usize> {
        let walked = self.decoded.text.get(self.text_at..offset)?;
        if self.decoded.encoding == TextEncoding::Utf8 {
            self.source_at = offset;
        } else {
            for c in walked.chars() {
                self.source_at += self
                    .decoded
                    .encoding
                    .source_len(self.body, self.source_at, c);
            }
        }
        self.text_at = offset;
        Some((self.source_at + self.decoded.bom_len).min(self.body.len() + self.decoded.bom_len))
    }
}

/// Detects the encoding and decodes strictly: undecodable bytes are an
/// error naming their offset, never replacement characters.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, ExtractError> {
    let by_bom = [
        (&[0xEF, 0xBB, 0xBF][..], TextEncoding::Utf8),
        (&[0xFF, 0xFE][..], TextEncoding::Utf16Le),
        (&[0xFE, 0xFF][..], TextEncoding::Utf16Be),
    ];
    if let Some((bom, enc)) = by_bom.iter().find(|(bom, _)| bytes.starts_with(bom)) {
        let body = &bytes[bom.len()..];
        let text = match enc {
            TextEncoding::Utf8 => std::str::from_utf8(body)
                .map(Cow::Borrowed)
                .map_err(|e| e.valid_up_to()),
            TextEncoding::Utf16Le => decode_strict(UTF_16LE, body).map(Cow::Owned),
            _ => decode_strict(UTF_16BE, body).map(Cow::Owned),
        }
        .map_err(|at| bad_bytes(at + bom.len(), enc.name()))?;
        return finish(text, *enc, bom.len());
    }
    // Valid UTF-8 is the common case: `finish` looks for NUL bytes in it.
    // SIMD validation is several times faster on CJK text; std's validator
    // runs only on failure, to say where the bad bytes are.
    let utf8_error = match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => return finish(Cow::Borrowed(s), TextEncoding::Utf8, 0),
        Err(_) => std::str::from_utf8(bytes)
            .err()
            .map_or(0, |e| e.valid_up_to()),
    };
    // `contains` on bytes is memchr-fast; the position is only for the message.
    if bytes.contains(&0) {
        return Err(binary(
            bytes.iter().position(|&b| b == 0).unwrap_or_default(),
        ));
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(
        &bytes[..bytes.len().min(SNIFF_BYTES)],
        bytes.len() <= SNIFF_BYTES,
    );
    let guess = detector.guess(None, false);
    // Other CJK double-byte encodings often decode "successfully" as GBK
    // into plausible-looking nonsense; refuse them rather than mislead.
    if [BIG5, SHIFT_JIS, EUC_JP, EUC_KR].contains(&guess) {
        return Err(unsupported_encoding(utf8_error, guess));
    }
    let text = match decode_strict(GB18030, bytes) {
        Ok(text) => text,
        // One bad sequence makes the detector give up on GBK; if what comes
        // before it reads as Chinese, name the bad bytes, not a guess.
        Err(at)
            if guess == GBK
                || decode_strict(GB18030, &bytes[..at]).is_ok_and(|t| mostly_chinese(&t)) =>
        {
            return Err(bad_bytes(at, "GBK/GB18030"))
        }
        Err(_) => return Err(unsupported_encoding(utf8_error, guess)),
    };
    // A single-byte guess is accepted as GBK only when the result reads as Chinese.
    if guess != GBK && !mostly_chinese(&text) {
        return Err(unsupported_encoding(utf8_error, guess));
    }
    let enc = if has_four_byte_sequence(bytes) {
        TextEncoding::Gb18030
    } else {
        TextEncoding::Gbk
    };
    finish(Cow::Owned(text), enc, 0)
}

/// GB18030 four-byte sequences are what GBK lacks; walk sequence by
/// sequence so a trail byte followed by a digit is not mistaken for one.
fn has_four_byte_sequence(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0x00..=0x80 | 0xFF => i += 1,
            _ if matches!(bytes.get(i + 1), Some(0x30..=0x39)) => return true,
            _ => i += 2,
        }
    }
    false
}

fn finish(
    text: Cow<'_, str>,
    encoding: TextEncoding,
    bom_len: usize,
) -> Result<Decoded<'_>, ExtractError> {
    if let Some(at) = text.find('\0') {
        return Err(binary(at));
    }
    Ok(Decoded {
        text,
        encoding,
        bom_len,
    })
}

fn binary(at: usize) -> ExtractError {
    ExtractError::Unsupported {
        detected: format!("binary data (NUL byte near offset {at})"),
    }
}

fn bad_bytes(at: usize, what: &str) -> ExtractError {
    ExtractError::Undecodable {
        detail: format!("bytes at offset {at} are not valid {what}"),
    }
}

fn unsupported_encoding(utf8_error: usize, guess: &'static Encoding) -> ExtractError {
    ExtractError::Undecodable {
        detail: format!(
            "bytes at offset {utf8_error} are not valid UTF-8/GBK/UTF-16 (the text looks like {}); save the file as UTF-8",
            guess.name()
        ),
    }
}

/// Decodes without replacement; `Err` carries the offset of the first bad byte.
fn decode_strict(encoding: &'static Encoding, src: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(src.len())
        .unwrap_or(src.len());
    let mut out = String::with_capacity(capacity);
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&src[read_total..], &mut out, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(src.len() - read_total + 16),
            DecoderResult::Malformed(bad, after) => {
                return Err(read_total.saturating_sub(bad as usize + after as usize))
            }
        }
    }
}

/// True when the non-ASCII characters are overwhelmingly Chinese script or
/// CJK punctuation, which mis-decoded Latin text almost never is.
fn mostly_chinese(text: &str) -> bool {
    let (mut cjk, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        match c {
            '\u{3000}'..='\u{303F}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{FF00}'..='\u{FFEF}' => cjk += 1,
            '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
            | '\u{2000}'..='\u{206F}'
            | '\u{00B7}' => cjk += 1,
            _ => other += 1,
        }
    }
    cjk >= 9 * other && cjk > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_boms_and_utf8() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFhi").unwrap().encoding,
            TextEncoding::Utf8
        );
        let le = decode(b"\xFF\xFEh\0i\0").unwrap();
        assert_eq!(
            (le.encoding, &*le.text, le.bom_len),
            (TextEncoding::Utf16Le, "hi", 2)
        );
        assert_eq!(decode(b"\xFE\xFF\0h\0i").unwrap().text, "hi");
        // UTF-8 is its own text: a large table is not held twice.
        let utf8 = decode("\u{FEFF}表格".as_bytes()).unwrap();
        assert!(matches!(utf8.text, Cow::Borrowed("表格")), "{utf8:?}");
        assert!(matches!(
            decode("表格".as_bytes()).unwrap().text,
            Cow::Borrowed("表格")
        ));
        assert_eq!(
            decode("纯文本".as_bytes()).unwrap().encoding,
            TextEncoding::Utf8
        );
    }

    #[test]
    fn detects_gbk_and_gb18030() {
        let (gbk, _, _) =
            GBK.encode("姓名,身份证号\n张三,420106198501011234\n关于做好年度工作的通知");
        let d = decode(&gbk).unwrap();
        assert_eq!(d.encoding, TextEncoding::Gbk);
        assert!(d.text.contains("身份证号"));
        // U+20000 needs a GB18030 four-byte sequence.
        let (gb, _, _) = GB18030.encode("关于做好年度工作的通知𠀀");
        assert_eq!(decode(&gb).unwrap().encoding, TextEncoding::Gb18030);
    }

    #[test]
    fn rejects_binary_and_broken_bytes() {
        assert!(matches!(
            decode(b"ab\0cd"),
            Err(ExtractError::Unsupported { .. })
        ));
        let err = decode(b"\xEF\xBB\xBFok\xFF").unwrap_err().to_string();
        assert_eq!(err, "bytes at offset 5 are not valid UTF-8");
        let err = decode(b"\xFF\xFEa\0\x00\xD8").unwrap_err().to_string();
        assert!(err.contains("not valid UTF-16LE"), "{err}");
        let (sjis, _, _) = SHIFT_JIS.encode("これは日本語のテキストです。ひらがなとカタカナ。");
        assert!(matches!(
            decode(&sjis),
            Err(ExtractError::Undecodable { .. })
        ));
    }

    #[test]
    fn maps_offsets_back_to_original_bytes() {
        let (gb, _, _) = GB18030.encode("a中𠀀b");
        let d = decode(&gb).unwrap();
        let mut cursor = SourceCursor::new(&d, &gb);
        let mapped: Vec<Option<usize>> = (d.text.char_indices().map(|(i, _)| i))
            .chain([d.text.len()])
            .map(|o| cursor.source_offset(o))
            .collect();
        assert_eq!(mapped, [0, 1, 3, 7, 8].map(Some));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a𠀀b".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let d = decode(&utf16).unwrap();
        let mut cursor = SourceCursor::new(&d, &utf16);
        let mapped = [0, 1, 5, 6].map(|o| cursor.source_offset(o));
        assert_eq!(mapped, [2, 4, 8, 10].map(Some));
    }

    #[test]
    fn a_cursor_refuses_to_go_back_or_split_a_character() {
        let (gb, _, _) = GB18030.encode("中文");
        let d = decode(&gb).unwrap();
        let mut cursor = SourceCursor::new(&d, &gb);
        assert_eq!(cursor.source_offset(3), Some(2));
        assert_eq!(cursor.source_offset(1), None);
        assert_eq!(cursor.source_offset(4), None);
        assert_eq!(cursor.source_offset(6), Some(4));
    }
}
