//! A view of the text that invisible and look-alike characters cannot
//! dodge. A zero-width space inside an ID number, or 機密 for 机密, used to
//! remove the finding; the detectors now run over a view with such
//! characters removed or folded, and every finding's offsets are led back to
//! the original text — its span then covers the invisible characters inside
//! it, so the redacted rendition masks them too.
//!
//! Most text holds none of these characters and is scanned as it is.

const RIGHT_TO_LEFT_OVERRIDE: char = '\u{202E}';
const POP_DIRECTIONAL_FORMATTING: char = '\u{202C}';

/// What a character becomes in the view: dropped, folded, or kept.
fn view_of(c: char) -> Option<Option<char>> {
    match c {
        // Default-ignorable and format characters: zero-width space, joiners
        // and non-joiners, direction marks and bidi controls, word joiner and
        // invisible operators, soft hyphen, Mongolian vowel separator, the
        // BOM, variation selectors, interlinear annotation marks.
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}' => Some(None),
        // Mathematical digits (bold, double-struck, sans-serif, monospace): NFKC.
        '\u{1D7CE}'..='\u{1D7FF}' => Some(char::from_digit((c as u32 - 0x1D7CE) % 10, 10)),
        // The hollow star.
        '☆' => Some(Some('★')),
        // Traditional forms of the marking and label words and the common
        // surnames (`機密`, `聯系人`, `責任編輯：陳美玲`); only those, so the
        // cost stays one small match per character.
        _ => traditional(c).map(Some),
    }
}

/// The simplified form of a traditional character the detectors read.
fn traditional(c: char) -> Option<char> {
    const PAIRS: &[(char, char)] = &[
        ('機', '机'),
        ('祕', '秘'),
        ('絕', '绝'),
        ('級', '级'),
        ('聯', '联'),
        ('係', '系'),
        ('繫', '系'),
        ('電', '电'),
        ('話', '话'),
        ('號', '号'),
        ('碼', '码'),
        ('證', '证'),
        ('責', '责'),
        ('編', '编'),
        ('輯', '辑'),
        ('記', '记'),
        ('負', '负'),
        ('請', '请'),
        ('審', '审'),
        ('簽', '签'),
        ('發', '发'),
        ('辦', '办'),
        ('經', '经'),
        ('員', '员'),
        ('書', '书'),
        ('長', '长'),
        ('處', '处'),
        ('區', '区'),
        ('縣', '县'),
        ('鎮', '镇'),
        ('鄉', '乡'),
        ('樓', '楼'),
        ('單', '单'),
        ('層', '层'),
        ('廣', '广'),
        ('場', '场'),
        ('門', '门'),
        ('園', '园'),
        ('鄰', '邻'),
        ('設', '设'),
        ('運', '运'),
        ('興', '兴'),
        ('劉', '刘'),
        ('陳', '陈'),
        ('楊', '杨'),
        ('黃', '黄'),
        ('趙', '赵'),
        ('吳', '吴'),
        ('孫', '孙'),
        ('馬', '马'),
        ('鄭', '郑'),
        ('謝', '谢'),
        ('韓', '韩'),
        ('馮', '冯'),
        ('鄧', '邓'),
        ('葉', '叶'),
        ('蘇', '苏'),
        ('呂', '吕'),
        ('盧', '卢'),
        ('鍾', '钟'),
        ('譚', '谭'),
        ('陸', '陆'),
        ('範', '范'),
        ('錢', '钱'),
        ('嚴', '严'),
        ('龍', '龙'),
        ('賀', '贺'),
        ('顧', '顾'),
        ('龔', '龚'),
        ('萬', '万'),
        ('湯', '汤'),
        ('溫', '温'),
        ('顏', '颜'),
        ('莊', '庄'),
        ('聶', '聂'),
        ('魯', '鲁'),
        ('賈', '贾'),
        ('蔣', '蒋'),
        ('鄒', '邹'),
        ('許', '许'),
        ('羅', '罗'),
        ('蕭', '萧'),
        ('華', '华'),
        ('張', '张'),
        ('傑', '杰'),
        ('偉', '伟'),
        ('麗', '丽'),
        ('強', '强'),
        ('軍', '军'),
        ('豔', '艳'),
        ('濤', '涛'),
        ('鵬', '鹏'),
        ('飛', '飞'),
        ('輝', '辉'),
        ('凱', '凯'),
        ('帥', '帅'),
        ('寧', '宁'),
        ('雲', '云'),
        ('蓮', '莲'),
        ('慶', '庆'),
        ('東', '东'),
        ('國', '国'),
        ('貴', '贵'),
        ('嬌', '娇'),
        ('瑩', '莹'),
        ('鴻', '鸿'),
        ('鶴', '鹤'),
        ('燁', '烨'),
        ('暉', '晖'),
        ('義', '义'),
        ('順', '顺'),
        ('財', '财'),
        ('寶', '宝'),
        ('衛', '卫'),
        ('學', '学'),
        ('賢', '贤'),
        ('銘', '铭'),
        ('鋒', '锋'),
        ('靜', '静'),
        ('紅', '红'),
        ('蘭', '兰'),
        ('駿', '骏'),
        ('騰', '腾'),
        ('遠', '远'),
        ('達', '达'),
        ('澤', '泽'),
        ('潔', '洁'),
        ('瑋', '玮'),
        ('環', '环'),
        ('愛', '爱'),
    ];
    // One table lookup per character: the view is checked for on every scan.
    static TABLE: std::sync::OnceLock<Box<[u16]>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = vec![0u16; 0x10000].into_boxed_slice();
        for &(traditional, simplified) in PAIRS {
            t[traditional as usize] = simplified as u16;
        }
        t
    });
    match table.get(c as usize) {
        Some(&s) if s != 0 => char::from_u32(u32::from(s)),
        _ => None,
    }
}

/// A character that is there but not seen (zero-width, bidi control, ...).
pub fn is_invisible(c: char) -> bool {
    view_of(c) == Some(None)
}

/// The text as the detectors see it, with the way back.
pub struct View {
    pub text: String,
    /// Per byte of `text`: the original byte range of the character it came from.
    origin: Vec<(usize, usize)>,
}

impl View {
    /// The view of `text`, or `None` when it has nothing to remove or fold.
    pub fn of(text: &str) -> Option<View> {
        if text.is_ascii() || !text.chars().any(|c| view_of(c).is_some()) {
            return None;
        }
        let mut view = View {
            text: String::with_capacity(text.len()),
            origin: Vec::with_capacity(text.len()),
        };
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c != RIGHT_TO_LEFT_OVERRIDE {
                view.push(at, c);
                continue;
            }
            // What an override shows right to left is stored reversed
            // (`\u{202E}3321…` displays as `…1233`): the view holds it in the
            // order a reader sees, up to the closing mark or the line's end.
            let mut run = Vec::new();
            while let Some(&(i, d)) = chars.peek() {
                if d == POP_DIRECTIONAL_FORMATTING || d == '\n' {
                    break;
                }
                run.push((i, d));
                chars.next();
            }
            for (i, d) in run.into_iter().rev() {
                view.push(i, d);
            }
        }
        Some(view)
    }

    fn push(&mut self, at: usize, c: char) {
        let shown = match view_of(c) {
            Some(None) => return,
            Some(Some(folded)) => folded,
            None => c,
        };
        self.text.push(shown);
        self.origin.extend(std::iter::repeat_n(
            (at, at + c.len_utf8()),
            shown.len_utf8(),
        ));
    }

    /// The original byte range of the view's range `start..end` (a
    /// non-empty range on char boundaries).
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        // Reversed runs make the origin non-monotonic: take the extremes.
        let covered = self.origin.get(start..end.min(self.origin.len()));
        match covered.filter(|c| !c.is_empty()) {
            Some(c) => (
                c.iter().map(|r| r.0).min().unwrap_or(0),
                c.iter().map(|r| r.1).max().unwrap_or(0),
            ),
            None => {
                let at = self
                    .origin
                    .get(start)
                    .map_or_else(|| self.origin.last().map_or(0, |r| r.1), |r| r.0);
                (at, at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_and_folds_and_leads_back() {
        let text = "身份证4207\u{200B}04198503121233，𝟏𝟑8，機密★";
        let view = View::of(text).unwrap();
        assert_eq!(view.text, "身份证420704198503121233，138，机密★");
        let start = view.text.find("4207").unwrap();
        let end = start + "420704198503121233".len();
        let (s, e) = view.original(start, end);
        assert_eq!(&text[s..e], "4207\u{200B}04198503121233");
        let m = view.text.find("138").unwrap();
        let (s, e) = view.original(m, m + 3);
        assert_eq!(&text[s..e], "𝟏𝟑8");
        assert!(View::of("普通文本 plain").is_none());
    }

    #[test]
    fn an_override_is_read_in_the_order_it_shows() {
        let text = "证号\u{202E}332121305891407024\u{202C}。";
        let view = View::of(text).unwrap();
        assert_eq!(view.text, "证号420704198503121233。");
        let start = view.text.find("4207").unwrap();
        let (s, e) = view.original(start, start + 18);
        assert_eq!(&text[s..e], "332121305891407024");
    }
}
