//! Evasion: characters a reader does not see, or reads as the same, must
//! not hide a value from the scanner, and every finding's span points into
//! the original text (covering the hidden characters inside it).

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use releasegate::scan::Scanner;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).expect("packs load")
    })
}

const ID: &str = "420704198503121233";

/// The original text of the first `entity` finding.
fn found<'t>(text: &'t str, entity: &str) -> Option<&'t str> {
    scanner()
        .scan(text)
        .into_iter()
        .find(|d| d.entity == entity)
        .map(|d| &text[d.start..d.end])
}

/// The ID with `hidden` inserted after its sixth digit.
fn split_id(hidden: &str) -> String {
    format!("{}{hidden}{}", &ID[..6], &ID[6..])
}

#[test]
fn invisible_characters_inside_an_id_number_do_not_hide_it() {
    for (what, hidden) in [
        ("zero-width space", "\u{200B}"),
        ("zero-width non-joiner", "\u{200C}"),
        ("zero-width joiner", "\u{200D}"),
        ("word joiner", "\u{2060}"),
        ("soft hyphen", "\u{00AD}"),
        ("byte-order mark", "\u{FEFF}"),
        ("left-to-right mark", "\u{200E}"),
        ("two of them", "\u{200B}\u{2060}"),
    ] {
        let value = split_id(hidden);
        let text = format!("申请人身份证号：{value}，请核对。");
        assert_eq!(found(&text, "CN_ID_CARD"), Some(value.as_str()), "{what}");
    }
}

#[test]
fn mathematical_digits_are_digits() {
    let value: String = ID
        .chars()
        .map(|c| char::from_u32(0x1D7CE + c.to_digit(10).unwrap()).unwrap())
        .collect();
    let text = format!("身份证号{value}");
    assert_eq!(found(&text, "CN_ID_CARD"), Some(value.as_str()));
}

#[test]
fn hidden_or_traditional_marks_are_still_marks() {
    for text in [
        "机\u{200B}密★10年 内部通报",
        "機密★10年 内部通报",
        "机密\u{2060}★ 内部通报",
        "秘密☆5年",
        "\u{FEFF}绝密★启用前",
    ] {
        assert!(
            found(text, "CLASSIFICATION_MARK").is_some(),
            "{text:?}: {:?}",
            scanner().scan(text)
        );
    }
}

proptest! {
    /// Any default-ignorable character at any place inside a detected value
    /// leaves it detected, and the span covers exactly the value with the
    /// character inside.
    #[test]
    fn an_ignorable_character_anywhere_inside_the_value_is_seen_through(
        at in 1usize..18,
        hidden in prop::sample::select(vec!['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{00AD}', '\u{FEFF}', '\u{200E}', '\u{202C}', '\u{FE0F}']),
    ) {
        let value = format!("{}{hidden}{}", &ID[..at], &ID[at..]);
        let text = format!("联系人身份证号{value}。");
        prop_assert_eq!(found(&text, "CN_ID_CARD"), Some(value.as_str()));
    }
}

/// A number stored reversed under a right-to-left override displays in the
/// right order; the scanner reads it as displayed, and the finding covers
/// the stored digits.
#[test]
fn a_number_reversed_under_a_right_to_left_override_is_read_as_shown() {
    let reversed: String = ID.chars().rev().collect();
    let text = format!("身份证号：\u{202E}{reversed}\u{202C}，请核对。");
    assert_eq!(found(&text, "CN_ID_CARD"), Some(reversed.as_str()));
    // Without the closing mark the override runs to the end of the line.
    let open = format!("身份证号：\u{202E}{reversed}\n下一行");
    assert_eq!(found(&open, "CN_ID_CARD"), Some(reversed.as_str()));
}

/// Traditional script: labels, titles and surnames are folded for detection,
/// the finding keeps the characters as written.
#[test]
fn names_after_traditional_labels_are_found_in_the_original_script() {
    assert_eq!(found("聯系人：鄭家豪\n", "PERSON_NAME"), Some("鄭家豪"));
    assert_eq!(found("責任編輯：陳美玲", "PERSON_NAME"), Some("陳美玲"));
    assert_eq!(
        found("聯系電話：0711—3358126", "CN_LANDLINE"),
        Some("0711—3358126")
    );
}

/// A line break typed into the middle of an ID number does not hide it; a
/// break between two numbers that are no ID number joins nothing.
#[test]
fn a_line_break_inside_an_id_number_does_not_hide_it() {
    for newline in ["\n", "\r\n"] {
        let value = format!("{}{newline}{}", &ID[..9], &ID[9..]);
        let text = format!("身份证号：{value}\n联系电话：13800138000");
        assert_eq!(
            found(&text, "CN_ID_CARD"),
            Some(value.as_str()),
            "{newline:?}"
        );
        assert_eq!(found(&text, "CN_MOBILE"), Some("13800138000"));
    }
    assert_eq!(found("编号：420704198\n503121234\n", "CN_ID_CARD"), None);
}
