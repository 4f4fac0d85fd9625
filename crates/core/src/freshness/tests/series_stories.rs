//! Yearly series from Taoyuan's real catalogue, judged by whether next year's member appeared.

use super::taipei;
use crate::freshness::{
    EvidenceKind, FreshnessPolicy, FreshnessState, SeriesAssessment, SeriesMember, UpdateFrequency,
    assess_yearly_series, parse_roc_year_prefix,
};

#[test]
fn a_title_names_its_roc_year_however_the_agency_wrote_it() {
    let cases = [
        ("104年A1道路交通事故-車種別統計", Some(104)),
        ("105年度附屬單位預算", Some(105)),
        ("民國106年桃園市觀光遊憩區遊客人次", Some(106)),
        (" 103年桃園市人口統計", Some(103)),
        ("099年度歲入決算表", Some(99)),
        ("民國一〇六年公告地價", Some(106)),
        ("105-106年度附屬單位預算作業基金收支餘絀綜計表", None),
        ("104、105年桃園之美藝術家名單", None),
        ("2016台灣燈會臨時公有停車場座標", None),
        ("桃園市105年旅遊服務中心旅客諮詢人次", None),
        ("年度預算", None),
    ];
    for (title, expected) in cases {
        assert_eq!(parse_roc_year_prefix(title), expected, "{title}");
    }
}

/// 地方稅務局's "各稅稅籍數及實徵稅額統計表-按區別", 101年 to 105年, with their 建立日期.
fn tax_bureau_series(dated: bool) -> Vec<SeriesMember> {
    [
        (101, "2017-02-18 11:13"),
        (102, "2017-02-22 16:09"),
        (103, "2017-02-22 17:23"),
        (104, "2017-02-22 17:54"),
        (105, "2017-02-23 10:29"),
    ]
    .into_iter()
    .map(|(roc_year, issued)| SeriesMember {
        roc_year,
        issued: dated.then(|| taipei(issued)),
    })
    .collect()
}

fn judge(members: &[SeriesMember], declared: &str, now: &str) -> SeriesAssessment {
    assess_yearly_series(
        members,
        &UpdateFrequency::parse(declared),
        &FreshnessPolicy::default(),
        taipei(now),
    )
}

#[test]
fn a_yearly_table_published_in_february_is_expected_again_the_next_february() {
    let series = judge(&tax_bureau_series(true), "每年", "2018-03-20 02:31");
    assert_eq!(series.latest_roc_year, Some(105));
    assert_eq!(series.next_roc_year, Some(106));
    assert_eq!(series.freshness.due_at, Some(taipei("2018-02-23 10:29")));
    // Past the expected date but within the yearly grace of 60 days.
    assert_eq!(series.freshness.state, FreshnessState::DueSoon);
    assert_eq!(
        series.freshness.overdue_at,
        Some(taipei("2018-04-24 10:29"))
    );
    assert_eq!(
        series.freshness.evidence.map(|e| e.kind),
        Some(EvidenceKind::SeriesMember { roc_year: 105 })
    );
    assert_eq!(series.latest_on_time, Some(true));
    assert!(series.freshness.explanation.zh.starts_with(
        "年度系列宣告每年更新，最新一期為105年（於民國106年2月23日發布），等待106年資料"
    ));
}

#[test]
fn without_publication_dates_next_years_member_is_expected_when_the_year_ends() {
    let series = judge(&tax_bureau_series(false), "每年", "2018-03-20 02:31");
    assert_eq!(series.freshness.due_at, Some(taipei("2018-01-01 00:00")));
    assert_eq!(series.freshness.state, FreshnessState::Overdue);
    assert_eq!(series.latest_on_time, None);
    assert!(
        series
            .freshness
            .explanation
            .en
            .contains("waiting for ROC year 106")
    );
}

#[test]
fn a_series_whose_latest_year_is_last_year_is_fresh() {
    // 警察局's 桃園市交通事故資料表 runs 101年 to 106年.
    let members: Vec<_> = (101..=106)
        .map(|roc_year| SeriesMember {
            roc_year,
            issued: None,
        })
        .collect();
    let series = judge(&members, "每年", "2018-03-20 02:31");
    assert_eq!(series.next_roc_year, Some(107));
    assert_eq!(series.freshness.state, FreshnessState::Fresh);
    assert_eq!(series.freshness.due_at, Some(taipei("2019-01-01 00:00")));
}

#[test]
fn a_year_missing_in_the_middle_of_a_series_is_reported() {
    // 地方稅務局's 各項稅捐實徵淨額 has 99年 to 105年 but no 104年.
    let members: Vec<_> = [99, 100, 101, 102, 103, 105]
        .into_iter()
        .map(|roc_year| SeriesMember {
            roc_year,
            issued: None,
        })
        .collect();
    assert_eq!(
        judge(&members, "每年", "2018-03-20 02:31").missing_roc_years,
        vec![104]
    );
}

#[test]
fn only_yearly_declarations_can_judge_a_yearly_series() {
    let members = tax_bureau_series(true);
    assert_eq!(
        judge(&members, "每月", "2018-03-20 02:31").freshness.state,
        FreshnessState::Unknown
    );
    assert_eq!(
        judge(&members, "不更新", "2018-03-20 02:31")
            .freshness
            .state,
        FreshnessState::NotApplicable
    );
    assert_eq!(
        judge(&[], "每年", "2018-03-20 02:31").freshness.state,
        FreshnessState::Unknown
    );
    let biennial = judge(&members, "每2年", "2018-03-20 02:31");
    assert_eq!(biennial.next_roc_year, Some(107));
    assert_eq!(biennial.freshness.state, FreshnessState::Fresh);
}
