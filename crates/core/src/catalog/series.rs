//! Yearly runs of datasets (104年…, 105年度…) belong to one series: the title without its year.

use crate::freshness::parse_roc_year_prefix;

/// `105年度桃園市政府總預算` → (`桃園市政府總預算`, 105). `None` when the title names no ROC year.
pub fn series_key(title: &str) -> Option<(String, i32)> {
    let year = parse_roc_year_prefix(title)?;
    let rest = title
        .trim()
        .trim_start_matches("民國")
        .trim_start_matches(|c: char| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    '０'
                        ..='９'
                            | '〇'
                            | '一'
                            | '二'
                            | '三'
                            | '四'
                            | '五'
                            | '六'
                            | '七'
                            | '八'
                            | '九'
                            | '十'
                            | '百'
                )
        })
        .trim_start_matches('年')
        .trim_start_matches('度')
        .trim_start_matches(['(', ')', '（', '）', ' ', '-', '_', '：', ':'])
        .trim();
    if rest.is_empty() {
        return None;
    }
    Some((rest.to_string(), year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yearly_budget_belongs_to_one_series() {
        assert_eq!(
            series_key("105年度桃園市政府總預算"),
            Some(("桃園市政府總預算".into(), 105))
        );
        assert_eq!(
            series_key("106年度桃園市政府總預算").map(|s| s.0),
            series_key("105年度桃園市政府總預算").map(|s| s.0)
        );
        assert_eq!(
            series_key("104年桃園市人口統計"),
            Some(("桃園市人口統計".into(), 104))
        );
        assert_eq!(series_key("桃園市公務出國報告"), None);
    }
}
