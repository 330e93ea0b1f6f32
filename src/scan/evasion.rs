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

/// Default-ignorable and format characters: zero-width space, joiners and
/// non-joiners, direction marks and bidi controls, word joiner and invisible
/// operators, soft hyphen, Mongolian vowel separator, the BOM, variation
/// selectors, interlinear annotation marks.
const INVISIBLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFFB}'),
];

/// Mathematical digits (bold, double-struck, sans-serif, monospace).
const MATH_DIGITS: std::ops::RangeInclusive<u32> = 0x1D7CE..=0x1D7FF;

/// In the table of the Basic Multilingual Plane: the character is dropped.
const DROP: u16 = 1;

/// What each BMP character becomes in the view: 0 kept, [`DROP`], or the
/// code point it folds to. One lookup per character, as the check for
/// whether a text needs a view runs on every scan.
fn bmp_table() -> &'static [u16] {
    static TABLE: std::sync::OnceLock<Box<[u16]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![0u16; 0x10000].into_boxed_slice();
        for &(first, last) in INVISIBLE {
            for cp in first as usize..=last as usize {
                t[cp] = DROP;
            }
        }
        t['☆' as usize] = '★' as u16;
        for (traditional, simplified) in TRADITIONAL.chars().zip(SIMPLIFIED.chars()) {
            t[traditional as usize] = simplified as u16;
        }
        t
    })
}

/// What a character becomes in the view: dropped, folded, or kept.
fn view_of(c: char) -> Option<Option<char>> {
    let cp = c as u32;
    match bmp_table().get(cp as usize) {
        Some(0) => None,
        Some(&DROP) => Some(None),
        Some(&folded) => Some(char::from_u32(u32::from(folded))),
        // NFKC of the mathematical digits.
        None if MATH_DIGITS.contains(&cp) => Some(char::from_digit((cp - 0x1D7CE) % 10, 10)),
        None => None,
    }
}

/// Traditional forms of the marking and label words and of the common
/// surnames and given-name characters, and at the same position their
/// simplified forms.
const TRADITIONAL: &str = "機祕絕級聯係繫電話號碼證責編輯記負請審簽發辦經員書長處區縣鎮鄉樓單層廣場門園鄰設運興劉陳楊黃趙吳孫馬鄭謝韓馮鄧葉蘇呂盧鍾譚陸範錢嚴龍賀顧龔萬湯溫顏莊聶魯賈蔣鄒許羅蕭華張傑偉麗強軍豔濤鵬飛輝凱帥寧雲蓮慶東國貴嬌瑩鴻鶴燁暉義順財寶衛學賢銘鋒靜紅蘭駿騰遠達澤潔瑋環愛對務際見習實稱說認為與參會議絡攝師監護醫總齊閻鄔鄺龐閔貝賴紀歐陽簡鳳瑤雙曉誠榮韋閆遲邊喬淩滿藍報導訊職黨調紹談講團隊館廠檢麥詠詩謙樂傳詢郵僑倫穎婭嬋綺維儀鳴錦錫鋼銀鐵貞燦燈煒嶸峯崗聰聲薈藝蔭權漢潤灣亞儉勝勵嘯圓堅夢將尋嵐彥徵應懷揚歡滬琿畢眾禮禎筆純細統絲綠緒練繼聖肅臨臺葦蕓術裝覺親計詳誌誼諾謀讓豐賓賽贊軒輔農進過選釗鈞鈺錚鍵開閩靈韻頌顯風驊體鬱鮮棟詞資產業關問題們鷹剛劍嶺瓊獻鐘費鮑濱綱勳璽鶯齡淵濟瀾煥爾碩紋綿緯聞艷薩蘊謹譽賜贇躍遙鈴銳鑒雋靚韜頤馳驍驥鵑億勁厲啟壽奮嫻巖恆悅憲暢曄樹橋櫻瀟熱爍獨瓏硯祿簫紗絢緣纓蘆語連邁閣闊項領颯騏鯤瑪蓋裏現粵擬於內駐掛驗點閱";
const SIMPLIFIED: &str = "机秘绝级联系系电话号码证责编辑记负请审签发办经员书长处区县镇乡楼单层广场门园邻设运兴刘陈杨黄赵吴孙马郑谢韩冯邓叶苏吕卢钟谭陆范钱严龙贺顾龚万汤温颜庄聂鲁贾蒋邹许罗萧华张杰伟丽强军艳涛鹏飞辉凯帅宁云莲庆东国贵娇莹鸿鹤烨晖义顺财宝卫学贤铭锋静红兰骏腾远达泽洁玮环爱对务际见习实称说认为与参会议络摄师监护医总齐阎邬邝庞闵贝赖纪欧阳简凤瑶双晓诚荣韦闫迟边乔凌满蓝报导讯职党调绍谈讲团队馆厂检麦咏诗谦乐传询邮侨伦颖娅婵绮维仪鸣锦锡钢银铁贞灿灯炜嵘峰岗聪声荟艺荫权汉润湾亚俭胜励啸圆坚梦将寻岚彦征应怀扬欢沪珲毕众礼祯笔纯细统丝绿绪练继圣肃临台苇芸术装觉亲计详志谊诺谋让丰宾赛赞轩辅农进过选钊钧钰铮键开闽灵韵颂显风骅体郁鲜栋词资产业关问题们鹰刚剑岭琼献钟费鲍滨纲勋玺莺龄渊济澜焕尔硕纹绵纬闻艳萨蕴谨誉赐赟跃遥铃锐鉴隽靓韬颐驰骁骥鹃亿劲厉启寿奋娴岩恒悦宪畅晔树桥樱潇热烁独珑砚禄箫纱绚缘缨芦语连迈阁阔项领飒骐鲲玛盖里现粤拟于内驻挂验点阅";

/// Longest ID number: 17 digits and a check character.
const ID_LEN: usize = 18;
/// Bank card numbers: 16 to 19 digits.
const CARD_LENS: std::ops::RangeInclusive<usize> = 16..=19;
/// Each side of a bank card cut by a line break holds at least this many
/// digits: a Luhn check passes one join in ten, so short fragments (a
/// year, an amount) are not offered to it.
const MIN_CARD_PART: usize = 4;

/// A digit as a reader sees it: ASCII or full-width, as ASCII.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

/// The line breaks (`\n`, `\r\n`) that cut an ID or bank card number in
/// two: the whole digit runs just before and just after (ASCII or
/// full-width) make 18 characters that pass the ID check, or 16–19 digits
/// that pass the bank-card check, outside table rows. Only those are
/// joined in the view, so the cells of a table, or a number at the end of
/// one line and another at the start of the next, stay apart.
fn breaks_inside_numbers(text: &str) -> Vec<std::ops::Range<usize>> {
    let longest = ID_LEN.max(*CARD_LENS.end());
    let mut found = Vec::new();
    for (i, _) in text.match_indices('\n') {
        let cut = if text[..i].ends_with('\r') { i - 1 } else { i };
        let mut before: Vec<char> = text[..cut]
            .chars()
            .rev()
            .map_while(digit)
            .take(longest + 1)
            .collect();
        if before.is_empty() || before.len() > longest {
            continue;
        }
        before.reverse();
        let after: Vec<char> = text[i + 1..]
            .chars()
            .map_while(|c| digit(c).or(matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ').then_some('X')))
            .take(longest + 1)
            .collect();
        // A whole number before the break and none after: nothing to join.
        if after.is_empty() {
            continue;
        }
        let joined: String = before.iter().chain(&after).collect();
        let id = joined.len() == ID_LEN && super::validators::cn_id_card(&joined);
        // A table row (`,`, tab) ends in a code or an amount as often as
        // not, and its neighbour starts with one: never joined for a card.
        let rows = text[..cut]
            .rsplit('\n')
            .next()
            .unwrap_or("")
            .contains([',', '\t'])
            || text[i + 1..]
                .split('\n')
                .next()
                .unwrap_or("")
                .contains([',', '\t']);
        let card = !rows
            && before.len() >= MIN_CARD_PART
            && after.len() >= MIN_CARD_PART
            && CARD_LENS.contains(&joined.len())
            && super::validators::bank_card(&joined);
        if id || card {
            found.push(cut..i + 1);
        }
    }
    found
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
        let breaks = breaks_inside_numbers(text);
        if breaks.is_empty() && (text.is_ascii() || !text.chars().any(|c| view_of(c).is_some())) {
            return None;
        }
        let mut breaks = breaks.into_iter().peekable();
        let mut view = View {
            text: String::with_capacity(text.len()),
            origin: Vec::with_capacity(text.len()),
        };
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            while breaks.next_if(|b| b.end <= at).is_some() {}
            if breaks.peek().is_some_and(|b| b.contains(&at)) {
                continue;
            }
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

    /// The original characters behind the first `shown` of the view.
    fn behind<'t>(text: &'t str, view: &View, shown: &str) -> &'t str {
        let start = view.text.find(shown).unwrap();
        let (s, e) = view.original(start, start + shown.len());
        &text[s..e]
    }

    #[test]
    fn removes_and_folds_and_leads_back() {
        let text = "身份证4207\u{200B}04198503121233，𝟏𝟑8，機密★";
        let view = View::of(text).unwrap();
        assert_eq!(view.text, "身份证420704198503121233，138，机密★");
        assert_eq!(
            behind(text, &view, "420704198503121233"),
            "4207\u{200B}04198503121233"
        );
        assert_eq!(behind(text, &view, "138"), "𝟏𝟑8");
        assert!(View::of("普通文本 plain").is_none());
    }

    #[test]
    fn a_line_break_inside_an_id_number_is_joined_and_no_other() {
        let text = "身份证号：420704198\r\n503121233\n13800138000\n2,张三";
        let view = View::of(text).unwrap();
        assert_eq!(
            view.text,
            "身份证号：420704198503121233\n13800138000\n2,张三"
        );
        assert_eq!(
            behind(text, &view, "420704198503121233"),
            "420704198\r\n503121233"
        );
        assert!(View::of("12345\n6789\n").is_none());
    }

    #[test]
    fn a_line_break_inside_a_bank_card_or_a_full_width_number_is_joined() {
        let card = "6222021234567890128";
        assert!(crate::scan::validators::bank_card(card));
        let text = format!("卡号：{}\n{}\n金额\n2024\n6222", &card[..8], &card[8..]);
        let view = View::of(&text).unwrap();
        assert_eq!(view.text, format!("卡号：{card}\n金额\n2024\n6222"));
        let wide: String = "420704198503121233"
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
            .collect();
        let (head, tail) = wide.split_at('０'.len_utf8() * 10);
        let text = format!("证号{head}\n{tail}");
        let view = View::of(&text).unwrap();
        assert_eq!(view.text, format!("证号{wide}"));
        assert_eq!(behind(&text, &view, &wide), format!("{head}\n{tail}"));
        // A card split after three digits is left alone: too short to tell.
        assert!(View::of(&format!("{}\n{}", &card[..3], &card[3..])).is_none());
        // Table rows are never joined for a card: `430010` + `420102001002`
        // passes the card check.
        let rows = "编号,姓名,邮编\n420102001001,王建华,430010\n420102001002,李秀英,430010\n";
        assert!(crate::scan::validators::bank_card("430010420102001002"));
        assert!(View::of(rows).is_none());
        // A whole ID at the end of a line stays apart from the next line.
        assert!(View::of("身份证号\n420704198503121233\nTel: 1\n").is_none());
    }

    #[test]
    fn every_traditional_form_has_its_simplified_twin() {
        assert_eq!(TRADITIONAL.chars().count(), SIMPLIFIED.chars().count());
        assert_eq!(view_of('聯'), Some(Some('联')));
        assert_eq!(view_of('联'), None);
        assert_eq!(view_of('\u{200B}'), Some(None));
        assert_eq!(view_of('\u{1D7D9}'), Some(Some('1')));
    }

    #[test]
    fn an_override_is_read_in_the_order_it_shows() {
        let text = "证号\u{202E}332121305891407024\u{202C}。";
        let view = View::of(text).unwrap();
        assert_eq!(view.text, "证号420704198503121233。");
        assert_eq!(
            behind(text, &view, "420704198503121233"),
            "332121305891407024"
        );
    }
}
