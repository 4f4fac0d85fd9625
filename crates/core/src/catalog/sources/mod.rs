//! Sources of dataset descriptions. Each turns a source's own format into `DatasetRecord`s
//! (parse → normalise); the shared planner then validates, deduplicates and reports.

pub mod ckan;
pub mod datagovtw;
pub mod dcat_jsonld;
pub mod sheet;
pub mod taoyuan;

use crate::text::Text;

/// Split a list written with 、 , ， ; or line breaks.
pub fn split_list(text: &str) -> Vec<String> {
    const SEPARATORS: [char; 6] = ['、', ',', '，', ';', '；', '\n'];
    // Separators inside brackets belong to the item: `DutyStatus(營運狀態[0=執勤,1=開始])`.
    let mut items = Vec::new();
    let mut depth: i32 = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' | '（' | '[' | '［' | '【' | '{' => depth += 1,
            ')' | '）' | ']' | '］' | '】' | '}' => depth = (depth - 1).max(0),
            _ => {}
        }
        if depth == 0 && SEPARATORS.contains(&c) {
            items.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    items.push(current);
    if depth != 0 {
        // An unclosed bracket: split plainly rather than swallow the rest of the list.
        items = text.split(SEPARATORS).map(str::to_string).collect();
    }
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `year(年度)` or `year（年度）` → ("year", Some("年度")); anything else → (text, None).
pub fn name_and_label(text: &str) -> (String, Option<String>) {
    let text = text.trim();
    let open = text.find(['(', '（']);
    match open {
        Some(i) if text.ends_with([')', '）']) => {
            let name = text.get(..i).unwrap_or(text).trim().to_string();
            let inner: String = text
                .get(i..)
                .unwrap_or("")
                .trim_start_matches(['(', '（'])
                .trim_end_matches([')', '）'])
                .trim()
                .to_string();
            if name.is_empty() {
                (inner, None)
            } else {
                (name, Some(inner).filter(|s| !s.is_empty()))
            }
        }
        _ => (text.to_string(), None),
    }
}

pub fn none_if_empty(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

pub fn bad_field(field: &str, value: &str) -> Text {
    Text::new(
        format!("欄位「{field}」的值「{value}」無法解讀"),
        format!("the value '{value}' of '{field}' cannot be read"),
    )
}

/// A count as people write it: `1,234`, full-width `９`, `24筆`. `None` when it is not a count.
pub fn parse_count(text: &str) -> Option<u64> {
    let folded = crate::catalog::fold(text);
    let digits = folded
        .trim()
        .trim_end_matches(['筆', '件', '項', '則', '個', '份'])
        .replace(',', "");
    digits.trim().parse().ok()
}

#[cfg(test)]
mod split_tests {
    use super::split_list;

    #[test]
    fn separators_inside_brackets_stay_with_their_field() {
        assert_eq!(
            split_list("BusID(車號),DutyStatus(營運狀態[0=執勤,1=開始,2=結束]),Speed"),
            vec![
                "BusID(車號)",
                "DutyStatus(營運狀態[0=執勤,1=開始,2=結束])",
                "Speed"
            ]
        );
        assert_eq!(split_list("年、月、日"), vec!["年", "月", "日"]);
        assert_eq!(
            split_list("分類(境外移入、本土、日期"),
            vec!["分類(境外移入", "本土", "日期"],
            "an unclosed bracket splits plainly"
        );
    }
}
