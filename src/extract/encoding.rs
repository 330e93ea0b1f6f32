//! Text encoding detection, strict decoding, and the mapping from decoded
//! text back to the original bytes (so redaction leaves every other byte
//! exactly as submitted).

use encoding_rs::{
    DecoderResult, Encoding, BIG5, EUC_JP, EUC_KR, GB18030, GBK, SHIFT_JIS, UTF_16BE, UTF_16LE,
    UTF_8,
};

use std::borrow::Cow;
use std::io::Read;

use super::source::{read_piece, InMemory, Source, PIECE_BYTES};
use super::{ExtractError, VisitError};

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

    pub(crate) fn encoding(self) -> &'static Encoding {
        match self {
            Self::Utf8 => UTF_8,
            Self::Utf16Le => UTF_16LE,
            Self::Utf16Be => UTF_16BE,
            Self::Gbk => GBK,
            Self::Gb18030 => GB18030,
        }
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
    pub(crate) fn source_len(self, body: &[u8], at: usize, c: char) -> usize {
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
    let (encoding, bom_len) = detect(&InMemory(bytes)).map_err(|e| match e {
        VisitError::File(e) => e,
        // Reading a slice cannot fail.
        VisitError::Read(e) => ExtractError::malformed(e.to_string()),
    })?;
    let body = &bytes[bom_len..];
    let text = match encoding {
        // Checked valid by `detect`: UTF-8 is its own text, borrowed.
        TextEncoding::Utf8 => Cow::Borrowed(
            std::str::from_utf8(body).map_err(|e| bad_bytes(e.valid_up_to(), "UTF-8"))?,
        ),
        other => {
            let mut text = String::new();
            let mut strict = Strict::new(other.encoding());
            if !strict.feed(body, true, &mut text) {
                return Err(bad_bytes(strict.error_at(bom_len), other.name()));
            }
            Cow::Owned(text)
        }
    };
    Ok(Decoded {
        text,
        encoding,
        bom_len,
    })
}

/// The encoding of the text `source` holds and the length of its byte
/// order mark, read in pieces and keeping none, so a large table is
/// surveyed without being held: a first pass checks UTF-8 (and looks for
/// NUL bytes); only a file that is not UTF-8 is read again for GBK and
/// GB18030. Undecodable bytes are an error naming their offset.
pub(crate) fn detect(source: &dyn Source) -> Result<(TextEncoding, usize), VisitError> {
    let mut read = source.open()?;
    let mut piece = vec![0; PIECE_BYTES];
    let n = read_piece(&mut read, &mut piece)?;
    let by_bom = [
        (&[0xEF, 0xBB, 0xBF][..], TextEncoding::Utf8),
        (&[0xFF, 0xFE][..], TextEncoding::Utf16Le),
        (&[0xFE, 0xFF][..], TextEncoding::Utf16Be),
    ];
    let bom = by_bom.iter().find(|(bom, _)| piece[..n].starts_with(bom));
    let (declared, bom_len) = bom.map_or((TextEncoding::Utf8, 0), |(b, e)| (*e, b.len()));
    // The declared (or assumed UTF-8) reading, and the first NUL in it.
    let mut strict = Strict::new(declared.encoding());
    let mut scratch = String::new();
    let (mut nul, mut text_len) = (None, 0);
    let mut first = Some((bom_len, n));
    loop {
        let (from, n) = match first.take() {
            Some(range) => range,
            None => (0, read_piece(&mut read, &mut piece)?),
        };
        scratch.clear();
        if !strict.feed(&piece[from..n], n < PIECE_BYTES, &mut scratch) {
            break;
        }
        if nul.is_none() {
            nul = scratch.find('\0').map(|at| text_len + at);
        }
        text_len += scratch.len();
        if n < PIECE_BYTES {
            break;
        }
    }
    match (strict.error, bom) {
        (None, _) => match nul {
            Some(at) => Err(binary(at).into()),
            None => Ok((declared, bom_len)),
        },
        (Some(_), Some(_)) => Err(bad_bytes(strict.error_at(bom_len), declared.name()).into()),
        (Some(utf8_error), None) => Ok((detect_legacy(source, utf8_error)?, 0)),
    }
}

/// The second pass over a file that is not UTF-8: GBK or GB18030, when
/// the bytes decode strictly and read as Chinese.
fn detect_legacy(source: &dyn Source, utf8_error: usize) -> Result<TextEncoding, VisitError> {
    let mut read = source.open()?;
    let mut piece = vec![0; PIECE_BYTES];
    let mut detector = chardetng::EncodingDetector::new();
    let mut strict = Strict::new(GB18030);
    let mut scratch = String::new();
    let mut script = Script::default();
    let (mut offset, mut four_byte) = (0, FourByteWalk::default());
    loop {
        let n = read_piece(&mut read, &mut piece)?;
        let bytes = &piece[..n];
        let last = n < PIECE_BYTES;
        // `contains` on bytes is memchr-fast; the position is only for the message.
        if let Some(at) = bytes.iter().position(|&b| b == 0) {
            return Err(binary(offset + at).into());
        }
        // The detector reads the first piece only: plenty to tell GBK from
        // its look-alikes.
        if offset == 0 {
            detector.feed(bytes, last);
        }
        if strict.error.is_none() {
            scratch.clear();
            strict.feed(bytes, last, &mut scratch);
            script.count(&scratch);
        }
        four_byte.walk(bytes);
        offset += n;
        if last {
            break;
        }
    }
    let guess = detector.guess(None, false);
    // Other CJK double-byte encodings often decode "successfully" as GBK
    // into plausible-looking nonsense; refuse them rather than mislead.
    if [BIG5, SHIFT_JIS, EUC_JP, EUC_KR].contains(&guess) {
        return Err(unsupported_encoding(utf8_error, guess).into());
    }
    if let Some(at) = strict.error {
        // One bad sequence makes the detector give up on GBK; if what comes
        // before it reads as Chinese, name the bad bytes, not a guess.
        return Err(if guess == GBK || script.mostly_chinese() {
            bad_bytes(at, "GBK/GB18030")
        } else {
            unsupported_encoding(utf8_error, guess)
        }
        .into());
    }
    // A single-byte guess is accepted as GBK only when the result reads as Chinese.
    if guess != GBK && !script.mostly_chinese() {
        return Err(unsupported_encoding(utf8_error, guess).into());
    }
    Ok(if four_byte.found {
        TextEncoding::Gb18030
    } else {
        TextEncoding::Gbk
    })
}

/// The decoded text of a file whose encoding [`detect`] found, a piece at
/// a time.
pub(crate) struct DecodedPieces<'a> {
    read: Box<dyn Read + 'a>,
    strict: Strict,
    piece: Vec<u8>,
    bom_len: usize,
    done: bool,
}

impl<'a> DecodedPieces<'a> {
    pub fn open(
        source: &'a dyn Source,
        encoding: TextEncoding,
        bom_len: usize,
    ) -> Result<Self, VisitError> {
        let mut read = source.open()?;
        std::io::copy(&mut (&mut read).take(bom_len as u64), &mut std::io::sink())?;
        Ok(Self {
            read,
            strict: Strict::new(encoding.encoding()),
            piece: vec![0; PIECE_BYTES],
            bom_len,
            done: false,
        })
    }

    /// Appends the next piece of text to `out`; `false` once the file has
    /// been read to its end.
    pub fn next_into(&mut self, out: &mut String) -> Result<bool, VisitError> {
        if self.done {
            return Ok(false);
        }
        let n = read_piece(&mut self.read, &mut self.piece)?;
        self.done = n < PIECE_BYTES;
        // `detect` decoded the same bytes; a file changed since is refused.
        if !self.strict.feed(&self.piece[..n], self.done, out) {
            let at = self.strict.error_at(self.bom_len);
            return Err(bad_bytes(at, "text in the detected encoding").into());
        }
        Ok(!self.done)
    }
}

/// A strict decoder fed in pieces, keeping the offset of the first bad
/// byte; after it nothing more is decoded.
struct Strict {
    decoder: encoding_rs::Decoder,
    read: usize,
    error: Option<usize>,
}

impl Strict {
    fn new(encoding: &'static Encoding) -> Self {
        Self {
            decoder: encoding.new_decoder_without_bom_handling(),
            read: 0,
            error: None,
        }
    }

    /// Decodes `bytes` onto `out`; `false` at the first bad byte.
    fn feed(&mut self, bytes: &[u8], last: bool, out: &mut String) -> bool {
        if self.error.is_some() {
            return false;
        }
        let mut done = 0;
        loop {
            let needed = self
                .decoder
                .max_utf8_buffer_length_without_replacement(bytes.len() - done)
                .unwrap_or(bytes.len() - done);
            out.reserve(needed);
            let (result, read) =
                self.decoder
                    .decode_to_string_without_replacement(&bytes[done..], out, last);
            done += read;
            match result {
                DecoderResult::InputEmpty => {
                    self.read += done;
                    return true;
                }
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    let at = (self.read + done).saturating_sub(bad as usize + after as usize);
                    self.error = Some(at);
                    return false;
                }
            }
        }
    }

    /// The offset of the first bad byte in the file, whose first `skipped`
    /// bytes were not fed.
    fn error_at(&self, skipped: usize) -> usize {
        self.error.unwrap_or(self.read) + skipped
    }
}

/// GB18030 four-byte sequences are what GBK lacks; walked sequence by
/// sequence, across pieces, so a trail byte followed by a digit is not
/// mistaken for one.
#[derive(Default)]
struct FourByteWalk {
    /// The last piece ended on a lead byte: the next begins with its pair.
    lead_pending: bool,
    found: bool,
}

impl FourByteWalk {
    fn walk(&mut self, bytes: &[u8]) {
        let mut i = 0;
        if self.lead_pending && !bytes.is_empty() {
            self.lead_pending = false;
            self.found |= bytes[0].is_ascii_digit();
            i = 1;
        }
        while i < bytes.len() && !self.found {
            match bytes[i] {
                0x00..=0x80 | 0xFF => i += 1,
                _ => match bytes.get(i + 1) {
                    Some(b) if b.is_ascii_digit() => self.found = true,
                    Some(_) => i += 2,
                    None => {
                        self.lead_pending = true;
                        i += 1;
                    }
                },
            }
        }
    }
}

/// Counts of the non-ASCII characters of a text by script.
#[derive(Default)]
struct Script {
    cjk: usize,
    other: usize,
}

impl Script {
    fn count(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_ascii()) {
            match c {
                '\u{3000}'..='\u{303F}'
                | '\u{3400}'..='\u{4DBF}'
                | '\u{4E00}'..='\u{9FFF}'
                | '\u{FF00}'..='\u{FFEF}'
                | '\u{F900}'..='\u{FAFF}'
                | '\u{20000}'..='\u{3FFFF}'
                | '\u{2000}'..='\u{206F}'
                | '\u{00B7}' => self.cjk += 1,
                _ => self.other += 1,
            }
        }
    }

    /// True when the non-ASCII characters are overwhelmingly Chinese script
    /// or CJK punctuation, which mis-decoded Latin text almost never is.
    fn mostly_chinese(&self) -> bool {
        self.cjk >= 9 * self.other && self.cjk > 0
    }
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

    /// What decides the encoding is found wherever the pieces of a large
    /// file split it: a four-byte sequence across the boundary, a bad byte
    /// or a NUL in a later piece, each named at its offset in the file.
    #[test]
    fn detection_reads_across_pieces() {
        let han = |n: usize| "中".repeat(n);
        // One ASCII byte puts the four-byte sequence's lead byte last in
        // the first piece and its digit first in the second.
        let text = format!("a{}𠀀{}", han((PIECE_BYTES - 2) / 2), han(100));
        let (gb, _, _) = GB18030.encode(&text);
        assert_eq!(gb[PIECE_BYTES - 1..PIECE_BYTES + 1], [0x95, 0x32]);
        assert_eq!(detect(&InMemory(&gb)).unwrap(), (TextEncoding::Gb18030, 0));
        let mut gbk = GBK.encode(&han(PIECE_BYTES)).0.into_owned();
        let bad = PIECE_BYTES + 10;
        gbk[bad] = 0xFF;
        let err = detect(&InMemory(&gbk)).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("bytes at offset {bad} are not valid GBK/GB18030")
        );
        gbk[bad] = 0;
        let err = detect(&InMemory(&gbk)).unwrap_err().to_string();
        assert!(
            err.contains(&format!("NUL byte near offset {bad}")),
            "{err}"
        );
        let mut utf8 = "中".repeat(PIECE_BYTES).into_bytes();
        utf8[bad - 1] = 0;
        let err = detect(&InMemory(&utf8)).unwrap_err().to_string();
        assert!(
            err.contains(&format!("NUL byte near offset {}", bad - 1)),
            "{err}"
        );
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
