//! Sheet names both Excel and LibreOffice accept: at most 31 UTF-16 units, none of
//! `[ ] : * ? / \`, no apostrophe at either end, not blank, not Excel's reserved "History".

const MAX_UTF16_UNITS: usize = 31;
const FALLBACK: &str = "Sheet1";

/// A valid sheet name as close to `title` as possible: `/ \ :` become `-` (dates and
/// paths stay readable), brackets become parentheses, `* ?` become `_`.
pub(crate) fn sheet_name(title: &str) -> String {
    let mut name = String::new();
    let mut units = 0;
    for ch in title.chars().filter_map(replace) {
        units += ch.len_utf16();
        if units > MAX_UTF16_UNITS {
            break;
        }
        name.push(ch);
    }
    let name = name.trim().trim_matches('\'').trim();
    if name.is_empty() {
        FALLBACK.to_owned()
    } else if name.eq_ignore_ascii_case("History") {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

fn replace(ch: char) -> Option<char> {
    match ch {
        '/' | '\\' | ':' => Some('-'),
        '[' => Some('('),
        ']' => Some(')'),
        '*' | '?' => Some('_'),
        c if c.is_control() => None,
        c => Some(c),
    }
}

#[cfg(test)]
mod tests {
    use super::sheet_name;

    #[test]
    fn a_chinese_title_is_kept_as_it_is() {
        assert_eq!(sheet_name("逾期資料集清單"), "逾期資料集清單");
    }

    #[test]
    fn characters_excel_forbids_are_replaced() {
        assert_eq!(
            sheet_name("逾期 2024/05 [全市]: *?\\"),
            "逾期 2024-05 (全市)- __-"
        );
    }

    #[test]
    fn long_titles_are_cut_to_31_utf16_units_without_splitting_a_character() {
        let title = "桃園市政府開放資料".repeat(4);
        let expected: String = title.chars().take(31).collect();
        assert_eq!(sheet_name(&title), expected);
        // 𡘙 (outside the BMP) counts as two units and is not cut in half.
        let name = sheet_name(&format!("{}𡘙", "甲".repeat(30)));
        assert_eq!(name, "甲".repeat(30));
    }

    #[test]
    fn blank_quoted_or_reserved_titles_get_a_usable_name() {
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(" \n "), "Sheet1");
        assert_eq!(sheet_name("'報表'"), "報表");
        assert_eq!(sheet_name("history"), "history_");
    }
}
